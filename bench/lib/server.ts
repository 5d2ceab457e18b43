import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** Warn-or-worse lines the server logged (pino JSON on stdout), and anything on stderr. */
export interface ServerLogSummary {
  warnings: number;
  errors: number;
  /** The first few distinct problem lines, trimmed. */
  samples: string[];
  stderr: string;
}

/** Portico in its own process: `node src/main.ts`, as in production. */
export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Current resident set size in KiB, or null once the process is gone. */
  rssKb(): number | null;
  logs(): ServerLogSummary;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly repoRoot: string;
  readonly databaseUrl: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function readRssKb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const MAX_SAMPLES = 8;

/** Spawns the server on a free port and waits until /health/ready answers 200. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const apiKey = `sk_${randomBytes(30).toString('base64url')}`; // sk_ + 40 characters
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('PORTICO_') && k !== 'PORT' && k !== 'NODE_OPTIONS') env[k] = v;
  }
  Object.assign(env, {
    PORTICO_DATABASE_URL: options.databaseUrl,
    PORTICO_PORT: String(port),
    PORTICO_HOST: '127.0.0.1',
    PORTICO_API_KEY: apiKey,
    PORTICO_SECRET_KEY: randomBytes(32).toString('base64url'),
    PORTICO_LOG_LEVEL: 'warn',
  });

  const child: ChildProcess = spawn(join(options.repoRoot, 'node_modules/.bin/node'), ['--disable-warning=ExperimentalWarning', 'src/main.ts'], {
    cwd: options.repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the server');

  const summary: ServerLogSummary = { warnings: 0, errors: 0, samples: [], stderr: '' };
  const seen = new Set<string>();
  const note = (line: string) => {
    const key = line.replace(/"(time|reqId|pid|hostname)":[^,}]*,?/g, '').slice(0, 300);
    if (seen.has(key) || summary.samples.length >= MAX_SAMPLES) return;
    seen.add(key);
    summary.samples.push(line.length > 600 ? `${line.slice(0, 600)}...` : line);
  };
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let level = 0;
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null && 'level' in parsed && typeof parsed.level === 'number') level = parsed.level;
      } catch {
        level = 40; // not a log line: worth a look
      }
      if (level >= 50) summary.errors++;
      else if (level >= 40) summary.warnings++;
      if (level >= 40) note(line);
    });
  }
  child.stderr?.on('data', (chunk: Buffer) => {
    if (summary.stderr.length < 20_000) summary.stderr += chunk.toString('utf8');
  });

  // A holder, not a `let`: it is set from the exit callback.
  const state: { exited: { code: number | null; signal: NodeJS.Signals | null } | null } = { exited: null };
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exited = { code, signal };
      resolve();
    });
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (state.exited !== null) {
      const { code, signal } = state.exited;
      throw new Error(`server exited during start (code ${String(code)}, signal ${String(signal)}): ${summary.stderr.trim()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready within 60 s: ${summary.stderr.trim()}`);
    }
    await sleep(100);
  }

  return {
    pid,
    baseUrl,
    apiKey,
    rssKb: () => (state.exited === null ? readRssKb(pid) : null),
    logs: () => ({ ...summary, samples: [...summary.samples] }),
    async stop() {
      if (state.exited !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => false), sleep(15_000).then(() => true)]);
      if (killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

/** Samples a process's RSS every `intervalMs` and keeps the peak. */
export class RssSampler {
  #peakKb = 0;
  #samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(read: () => number | null, intervalMs = 50) {
    const take = () => {
      const kb = read();
      if (kb === null) return;
      this.#samples++;
      if (kb > this.#peakKb) this.#peakKb = kb;
    };
    take();
    this.#timer = setInterval(take, intervalMs);
  }

  /** Stops sampling; returns the peak in KiB and the number of samples taken. */
  stop(): { peakKb: number; samples: number } {
    clearInterval(this.#timer);
    return { peakKb: this.#peakKb, samples: this.#samples };
  }
}
