// Issue #8: Portico as a real process tree for the fault suite. Each server is spawned detached, so
// the cluster primary leads its own process group and `kill -9` of the whole tree is one
// process.kill(-pid, 'SIGKILL'); afterwards every member of the group is checked by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, liveChildren, liveGroupMembers, rssKb } from './procfs.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const OUTPUT_LIMIT = 64 * 1024;

/**
 * Process groups started here and not yet stopped. Detached children outlive this process, so
 * if a test times out (node:test does not wait for its finally blocks) they are killed on exit.
 */
const running = new Set<number>();
process.on('exit', () => {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

export interface PorticoOptions {
  readonly port: number;
  readonly databaseUrl: string;
  readonly apiKey: string;
  readonly secretKey: string;
  /** node:cluster workers (PORTICO_WORKERS); the default of this machine is one per core (2). */
  readonly workers?: number;
  readonly env?: Record<string, string>;
  readonly startTimeoutMs?: number;
}

export interface PorticoProcess {
  /** The primary (with workers) or the only process; also the process group ID. */
  readonly pid: number;
  readonly baseUrl: string;
  /** Worker PIDs as of the last start check (empty with one process). */
  readonly workerPids: readonly number[];
  /** The last 64 KiB it printed on stdout (log lines, banners). */
  output(): string;
  /** The last 64 KiB it printed on stderr (uncaught errors of dying processes). */
  stderr(): string;
  /** RSS in KiB of the primary and each worker now. */
  rss(): { pid: number; role: string; kb: number | null }[];
  /** kill -9 of the whole process group; resolves once no member is alive, with the PIDs that survived (should be none). */
  kill9(): Promise<{ survivors: number[]; ms: number }>;
  /** SIGTERM to the primary and wait (bounded); anything of the group still alive after that gets SIGKILL. */
  stop(): Promise<void>;
}

function environment(options: PorticoOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORTICO_DATABASE_URL: options.databaseUrl,
    PORTICO_PORT: String(options.port),
    PORTICO_HOST: '127.0.0.1',
    PORTICO_ISSUER: `http://127.0.0.1:${options.port}`,
    PORTICO_WORKERS: String(options.workers ?? 2),
    PORTICO_API_KEY: options.apiKey,
    PORTICO_SECRET_KEY: options.secretKey,
    PORTICO_LOG_LEVEL: 'warn',
    ...options.env,
  };
}

/** Starts `src/main.ts` and resolves once every worker exists and /health answers. */
export async function startPortico(options: PorticoOptions): Promise<PorticoProcess> {
  const workers = options.workers ?? 2;
  const child: ChildProcess = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=4', 'src/main.ts'], {
    cwd: ROOT,
    env: environment(options),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn Portico');
  running.add(pid);
  // stdout holds the log (JSON lines) and the banners; stderr what a dying process printed.
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-OUTPUT_LIMIT);
  });
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-OUTPUT_LIMIT);
  });
  const state: { exit: { code: number | null; signal: string | null } | null } = { exit: null };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exit = { code, signal };
      resolve();
    });
  });
  const baseUrl = `http://127.0.0.1:${options.port}`;

  const killGroup = async (): Promise<{ survivors: number[]; ms: number }> => {
    const started = performance.now();
    const before = [pid, ...liveChildren(pid)];
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    await Promise.race([exited, sleep(10_000, undefined, { ref: false })]);
    // The primary is our child (reaped by Node); the workers die with it. Poll, bounded, until none is alive.
    let survivors: number[] = [];
    for (let i = 0; i < 100; i++) {
      survivors = [...new Set([...liveGroupMembers(pid), ...before.filter(isAlive)])];
      if (survivors.length === 0) break;
      await sleep(50);
    }
    for (const p of survivors) {
      try {
        process.kill(p, 'SIGKILL'); // report them, but leave nothing behind either way
      } catch {
        // gone meanwhile
      }
    }
    if (survivors.length === 0) running.delete(pid);
    return { survivors, ms: performance.now() - started };
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let workerPids: number[] = [];
  for (;;) {
    if (state.exit) throw new Error(`Portico exited during start (${JSON.stringify(state.exit)}):\n${err}\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      await killGroup();
      throw new Error(`Portico did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${err}\n${out.slice(-4000)}`);
    }
    workerPids = workers > 1 ? liveChildren(pid) : [];
    const banner = workers > 1 ? /\d+ workers listening/.test(out) : true;
    if (banner && workerPids.length >= (workers > 1 ? workers : 0)) {
      try {
        const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
    }
    await sleep(50);
  }

  return {
    pid,
    baseUrl,
    workerPids,
    output: () => out,
    stderr: () => err,
    rss: () => [
      { pid, role: workers > 1 ? 'primary' : 'server', kb: rssKb(pid) },
      ...liveChildren(pid).map((w, i) => ({ pid: w, role: `worker ${i + 1}`, kb: rssKb(w) })),
    ],
    kill9: killGroup,
    async stop() {
      if (state.exit === null) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
        await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
      }
      if (liveGroupMembers(pid).length > 0) await killGroup();
      else running.delete(pid);
    },
  };
}
