import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** Direct children of `pid` (every thread's `children` file; needs CONFIG_PROC_CHILDREN). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) {
        if (c !== '') out.push(Number(c));
      }
    } catch {
      // thread gone
    }
  }
  return out;
}

/** `pid` and all of its descendants. */
export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.includes(p)) continue;
    seen.push(p);
    queue.push(...childrenOf(p));
  }
  return seen;
}

const CLOCK_TICKS_PER_SEC = 100; // getconf CLK_TCK on Linux

/** user + system CPU of one process in clock ticks (/proc/<pid>/stat fields 14 and 15), or null when it is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** CPU ticks of every process of a tree at one moment. */
export type CpuSnapshot = ReadonlyMap<number, number>;

export function snapshotCpu(rootPid: number): CpuSnapshot {
  const snap = new Map<number, number>();
  for (const pid of processTree(rootPid)) {
    const t = cpuTicks(pid);
    if (t !== null) snap.set(pid, t);
  }
  return snap;
}

export interface CpuDelta {
  /** user + system seconds of every process of the tree between the snapshots. */
  readonly seconds: number;
  /** Processes present at the end (primary + workers). */
  readonly processes: number;
  /** Processes present at the start but gone at the end: their CPU is missing from `seconds`. */
  readonly lost: number;
  /** Per process, seconds (for the report: is the work spread over the workers?). */
  readonly perProcess: Record<string, number>;
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuDelta {
  let ticks = 0;
  const perProcess: Record<string, number> = {};
  for (const [pid, t] of after) {
    const d = t - (before.get(pid) ?? 0);
    ticks += d;
    perProcess[String(pid)] = d / CLOCK_TICKS_PER_SEC;
  }
  let lost = 0;
  for (const pid of before.keys()) if (!after.has(pid)) lost++;
  return { seconds: ticks / CLOCK_TICKS_PER_SEC, processes: after.size, lost, perProcess };
}

export interface ChildLogs {
  /** stdout lines that look like warn-or-worse pino logs, or are not JSON at all. */
  warnings: number;
  errors: number;
  samples: string[];
  stdoutLines: string[];
  stderr: string;
}

/** Inodes of the sockets listening on `port` (any address), from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const out = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1] (ADDR:PORT), st is cols[3] (0A = LISTEN), inode is cols[9].
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9] !== undefined) out.add(cols[9]);
    }
  }
  return out;
}

/** Whether one of `pids` holds the socket listening on `port` (and not some other program that took the port). */
export function ownsPort(pids: readonly number[], port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return true;
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return false;
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

/** One benchmark target: a server process tree we started. */
export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  readonly baseUrl: string;
  logs(): ChildLogs;
  /** Every process of the tree right now (primary + workers). */
  pids(): number[];
  /** Sends SIGTERM to the primary and waits; SIGKILLs whatever of the tree is still there after 15 s. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly cwd: string;
  readonly command: string;
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

/** Spawns a server, waits for `readyPath` to answer 200 and for the full process tree. */
export async function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  const child: ChildProcess = spawn(options.command, [...options.args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${options.name}`);

  const logs: ChildLogs = { warnings: 0, errors: 0, samples: [], stdoutLines: [], stderr: '' };
  const seen = new Set<string>();
  const note = (line: string) => {
    const key = line.replace(/"(time|reqId|pid|hostname)":[^,}]*,?/g, '').slice(0, 300);
    if (seen.has(key) || logs.samples.length >= MAX_SAMPLES) return;
    seen.add(key);
    logs.samples.push(line.length > 600 ? `${line.slice(0, 600)}...` : line);
  };
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (logs.stdoutLines.length < 50) logs.stdoutLines.push(line);
      if (!line.startsWith('{')) return; // banners (READY, "workers listening") are not logs
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
    });
  }
  child.stderr?.on('data', (chunk: Buffer) => {
    if (logs.stderr.length < 20_000) logs.stderr += chunk.toString('utf8');
  });

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

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
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
      throw new Error(`${options.name} did not become ready within ${(options.timeoutMs ?? 60_000) / 1000} s: ${logs.stderr.trim().slice(0, 2000)}`);
    }
    await sleep(100);
  }

  return {
    name: options.name,
    pid,
    baseUrl,
    logs: () => ({ ...logs, samples: [...logs.samples], stdoutLines: [...logs.stdoutLines] }),
    pids: () => processTree(pid),
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

/** Whether `pid` is a live (non-zombie) process whose command line names `script`. */
function runs(pid: number, script: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
  } catch {
    return false;
  }
}

/** Busy and total clock ticks of the whole machine (/proc/stat, all CPUs). */
export function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** CPU seconds the whole machine was busy between two machineTicks() readings. */
export function machineBusySeconds(before: { busy: number }, after: { busy: number }): number {
  return (after.busy - before.busy) / CLOCK_TICKS_PER_SEC;
}
