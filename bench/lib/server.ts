import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, freePort, retryOnPortClash, spawnServer, type ChildServer } from './child.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
export const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
/**
 * The Portico checkout whose src/main.ts is started: this one, or BENCH_PORTICO_ROOT (bench/paired.ts
 * points it at a worktree of another commit, so one benchmark measures both).
 */
export const PORTICO_ROOT = process.env.BENCH_PORTICO_ROOT ?? REPO_ROOT;

/** Portico in its own process (and, with PORTICO_WORKERS > 1, its cluster workers): `node src/main.ts`, as in production. */
export interface PorticoServer extends ChildServer {
  /** PORTICO_API_KEY: the Bearer token of the management API. */
  readonly apiKey: string;
}

export interface StartOptions {
  readonly databaseUrl: string;
  /** PORTICO_WORKERS; undefined leaves the server's default (one per core). */
  readonly workers?: number | undefined;
  /** More PORTICO_* settings (they win over the ones set here). */
  readonly env?: Record<string, string>;
  /** node flags before the script (--cpu-prof ...). */
  readonly nodeArgs?: readonly string[];
  readonly timeoutMs?: number;
}

/** Spawns Portico on a free port (another one if the port was taken meanwhile) and waits until /health/ready answers 200 from the full process tree. */
export function startPortico(options: StartOptions): Promise<PorticoServer> {
  return retryOnPortClash(() => startPorticoOnce(options));
}

async function startPorticoOnce(options: StartOptions): Promise<PorticoServer> {
  const port = await freePort();
  const apiKey = `sk_${randomBytes(30).toString('base64url')}`; // sk_ + 40 characters
  const env: Record<string, string> = {
    ...cleanEnv(),
    PORTICO_DATABASE_URL: options.databaseUrl,
    PORTICO_PORT: String(port),
    PORTICO_HOST: '127.0.0.1',
    PORTICO_API_KEY: apiKey,
    PORTICO_SECRET_KEY: randomBytes(32).toString('base64url'),
    PORTICO_LOG_LEVEL: 'warn',
  };
  if (options.workers !== undefined) env.PORTICO_WORKERS = String(options.workers);
  Object.assign(env, options.env);
  const workers = options.workers ?? availableParallelism(); // the server's default
  const server = await spawnServer({
    name: 'portico',
    cwd: PORTICO_ROOT,
    command: NODE,
    args: ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=4', ...(options.nodeArgs ?? []), 'src/main.ts'],
    env,
    port,
    readyPath: '/health/ready',
    processes: workers > 1 ? workers + 1 : 1,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  return { ...server, apiKey };
}
