import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownsPort, processTree, runs } from './proc.ts';

/**
 * Servers under test as child processes (and, for node:cluster servers,
 * their workers): spawned, waited for, their logs summarized, stopped.
 */

/** A free TCP port on 127.0.0.1 (closed again before the server binds it). */
export async function freePort(): Promise<number> {
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

/** The environment without anything that would leak into a server's configuration. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('PORTICO_') && !k.startsWith('PEER_') && k !== 'PORT' && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return env;
}

/** The port a freshly spawned server was given was taken by another program in between: try another one. */
export class PortClashError extends Error {}

/** Runs `start` (which picks its own free port) again when the port was stolen, up to `attempts` times. */
export async function retryOnPortClash<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof PortClashError) || i >= attempts) throw err;
      process.stderr.write(`  ${err.message}; retrying on another port\n`);
    }
  }
}

/** Warn-or-worse lines the server logged (pino JSON on stdout), and anything on stderr. */
export interface ChildLogs {
  warnings: number;
  errors: number;
  /** The first few distinct problem lines, trimmed. */
  samples: string[];
  /** Lines on stdout that are not log records (banners such as READY or "2 workers listening"). */
  notes: string[];
  stderr: string;
}

/** A server process tree we started. */
export interface ChildServer {
  readonly name: string;
  /** The process we spawned (the cluster primary when there are workers). */
  readonly pid: number;
  readonly baseUrl: string;
  logs(): ChildLogs;
  /** Every live process of the tree right now (primary + workers). */
  pids(): number[];
  /** Sends SIGTERM to the primary and waits; SIGKILLs whatever of the tree is still there after 15 s. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly cwd: string;
  readonly command: string;
  /** The last one is the script: only processes whose command line names it are ever killed. */
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly port: number;
  /** GET path that answers 200 once a process listens. */
  readonly readyPath: string;
  /** Processes the tree must hold before it counts as started (1 + workers, or 1). */
  readonly processes: number;
  readonly timeoutMs?: number;
}

const MAX_SAMPLES = 8;

/** Counts pino records of level warn (40) or worse in a child's stdout; keeps a few distinct ones and the banners. */
function logCollector(logs: ChildLogs): (line: string) => void {
  const seen = new Set<string>();
  const note = (line: string) => {
    const key = line.replace(/"(time|reqId|pid|hostname)":[^,}]*,?/g, '').slice(0, 300);
    if (seen.has(key) || logs.samples.length >= MAX_SAMPLES) return;
    seen.add(key);
    logs.samples.push(line.length > 600 ? `${line.slice(0, 600)}...` : line);
  };
  return (line) => {
    if (!line.startsWith('{')) {
      // Not a log record: a banner.
      if (logs.notes.length < MAX_SAMPLES && line.trim() !== '') logs.notes.push(line.trim());
      return;
    }
    let level = 0;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && 'level' in parsed && typeof parsed.level === 'number') level = parsed.level;
    } catch {
      level = 40;
    }
    if (level >= 50) logs.errors++;
    else if (level >= 40) logs.warnings++;
    if (level >= 40) note(line);
  };
}

/** Spawns a server, waits for `readyPath` to answer 200 and for the full process tree. */
export async function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  const child: ChildProcess = spawn(options.command, [...options.args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${options.name}`);

  const logs: ChildLogs = { warnings: 0, errors: 0, samples: [], notes: [], stderr: '' };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', logCollector(logs));
  child.stderr?.on('data', (chunk: Buffer) => {
    if (logs.stderr.length < 20_000) logs.stderr += chunk.toString('utf8');
  });

  // A holder, not a `let`: it is set from the exit callback.
  const state: { exited: { code: number | null; signal: NodeJS.Signals | null } | null } = { exited: null };
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exited = { code, signal };
      resolve();
    });
  });

  // Remembered so that stop() can clean up workers an unexpected primary exit would orphan.
  let knownPids: number[] = [pid];
  const baseUrl = `http://127.0.0.1:${options.port}`;
  // Only processes that are still alive and still run our script (guards against pid reuse).
  const script = options.args[options.args.length - 1] ?? '';
  const killTree = (signal: NodeJS.Signals) => {
    for (const p of knownPids) {
      if (!runs(p, script)) continue;
      try {
        process.kill(p, signal);
      } catch {
        // already gone
      }
    }
  };

  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (state.exited !== null) {
      const { code, signal } = state.exited;
      killTree('SIGKILL');
      throw new Error(`${options.name} exited during start (code ${String(code)}, signal ${String(signal)}): ${logs.stderr.trim().slice(0, 2000)}`);
    }
    let ready = false;
    try {
      const res = await fetch(`${baseUrl}${options.readyPath}`);
      await res.arrayBuffer();
      ready = res.status === 200;
    } catch {
      // not listening yet
    }
    if (ready) {
      knownPids = processTree(pid);
      if (!ownsPort(knownPids, options.port)) {
        // Something answered, but not us: another program bound the port after freePort() released it.
        killTree('SIGKILL');
        throw new PortClashError(`port ${options.port} was taken by another program before ${options.name} could bind it`);
      }
      if (knownPids.length >= options.processes) break;
    }
    if (Date.now() > deadline) {
      knownPids = processTree(pid);
      killTree('SIGKILL');
      throw new Error(`${options.name} did not become ready within ${timeoutMs / 1000} s: ${logs.stderr.trim().slice(0, 2000)}`);
    }
    await sleep(100);
  }

  return {
    name: options.name,
    pid,
    baseUrl,
    logs: () => ({ ...logs, samples: [...logs.samples], notes: [...logs.notes] }),
    pids: () => (state.exited === null ? processTree(pid) : []),
    async stop() {
      if (state.exited === null) knownPids = processTree(pid);
      if (state.exited === null) child.kill('SIGTERM');
      const timedOut = await Promise.race([exit.then(() => false), sleep(15_000).then(() => true)]);
      if (timedOut) {
        killTree('SIGKILL');
        await exit;
      }
      // Workers exit on their own once the primary asks them to; give them a moment, then insist.
      for (let i = 0; i < 50 && knownPids.some((p) => runs(p, script)); i++) await sleep(100);
      killTree('SIGKILL');
    },
  };
}

/** What a child logged at warn or worse, and its stderr (minus lines matching `ignore`), as lines for the progress log. */
export function logLines(name: string, logs: ChildLogs, ignore?: RegExp): string[] {
  const out: string[] = [];
  if (logs.warnings + logs.errors > 0) out.push(`  ${name} logged ${logs.warnings} warnings, ${logs.errors} errors:`, ...logs.samples.map((s) => `    ${s}`));
  const stderr = logs.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !(ignore?.test(l) ?? false))
    .join('\n');
  if (stderr !== '') out.push(`  ${name} stderr: ${stderr.slice(0, 1500)}`);
  return out;
}
