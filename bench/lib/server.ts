import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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
  /** Lines on stdout that are not log records (banners such as "2 workers listening"). */
  notes: string[];
  stderr: string;
}

/** Portico in its own process (and, with PORTICO_WORKERS > 1, its cluster workers): `node src/main.ts`, as in production. */
export interface ServerProcess {
  /** The process we spawned (the cluster primary when there are workers). */
  readonly pid: number;
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The spawned process and all its live descendants. */
  pids(): number[];
  logs(): ServerLogSummary;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly repoRoot: string;
  readonly databaseUrl: string;
  /** PORTICO_WORKERS; undefined leaves the server's default (one per core). */
  readonly workers?: number;
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

/** `pid` and its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone
    }
    out.push(p);
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim() !== '') queue.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}

/** CPU time (user + system) of a process in seconds, from /proc/<pid>/stat (USER_HZ = 100). */
export function readCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine, all cores (from the first line of /proc/stat). */
export function readMachineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
    const busy = fields.reduce((n, v, i) => (i === 3 || i === 4 || i > 7 ? n : n + v), 0);
    return busy / 100;
  } catch {
    return Number.NaN;
  }
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
  if (options.workers !== undefined) env.PORTICO_WORKERS = String(options.workers);

  const child: ChildProcess = spawn(join(options.repoRoot, 'node_modules/.bin/node'), ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=4', 'src/main.ts'], {
    cwd: options.repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the server');

  const summary: ServerLogSummary = { warnings: 0, errors: 0, samples: [], notes: [], stderr: '' };
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
        // Not a log record: a banner.
        if (summary.notes.length < MAX_SAMPLES && line.trim() !== '') summary.notes.push(line.trim());
        return;
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
    pids: () => (state.exited === null ? processTree(pid) : []),
    logs: () => ({ ...summary, samples: [...summary.samples], notes: [...summary.notes] }),
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

/**
 * Samples the RSS of a process tree every `intervalMs` (the tree itself is
 * re-read every 10 samples) and keeps the peak of the sum and of each process.
 */
export class RssSampler {
  #peakKb = 0;
  #samples = 0;
  readonly #perPid = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(tree: () => number[], intervalMs = 50) {
    let pids = tree();
    let n = 0;
    const take = () => {
      if (++n % 10 === 0) pids = tree();
      let sum = 0;
      for (const pid of pids) {
        const kb = readRssKb(pid);
        if (kb === null) continue;
        sum += kb;
        if (kb > (this.#perPid.get(pid) ?? 0)) this.#perPid.set(pid, kb);
      }
      if (sum === 0) return;
      this.#samples++;
      if (sum > this.#peakKb) this.#peakKb = sum;
    };
    take();
    this.#timer = setInterval(take, intervalMs);
  }

  /** Stops sampling: the peak sum in KiB, each process's peak, and the number of samples taken. */
  stop(): { peakKb: number; perPidPeakKb: Record<string, number>; samples: number } {
    clearInterval(this.#timer);
    return { peakKb: this.#peakKb, perPidPeakKb: Object.fromEntries([...this.#perPid].map(([k, v]) => [String(k), v])), samples: this.#samples };
  }
}
