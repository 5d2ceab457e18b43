import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * What the benchmarks read from /proc (Linux): process trees, CPU time of a
 * tree, of this process and of the whole machine, resident memory, and who
 * holds a listening socket.
 */

const CLOCK_TICKS_PER_SEC = 100; // getconf CLK_TCK on Linux

/** Direct children of `pid` (every thread's `children` file; needs CONFIG_PROC_CHILDREN); null when `pid` is gone. */
function childrenOf(pid: number): number[] | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const out: number[] = [];
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

/** `pid` and all of its live descendants (empty when `pid` is gone). */
export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.includes(p)) continue;
    const children = childrenOf(p);
    if (children === null) continue; // gone
    seen.push(p);
    queue.push(...children);
  }
  return seen;
}

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

export function snapshotCpu(pids: readonly number[]): CpuSnapshot {
  const snap = new Map<number, number>();
  for (const pid of pids) {
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

/** A measured window in µs of process.hrtime() (CLOCK_MONOTONIC, shared by every process and by .cpuprofile timestamps). */
export interface WindowUs {
  readonly startUs: number;
  readonly endUs: number;
}

/** process.hrtime() in µs, comparable with .cpuprofile timestamps. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** CPU spent while some work ran: by a process tree, by this process (the load generator), by the whole machine. */
export interface CpuUsage {
  readonly tree: CpuDelta;
  readonly selfSec: number;
  readonly machineSec: number;
  readonly window: WindowUs;
}

/** Runs `work`, reading the CPU time of the tree `pids()` (read before and after), of this process and of the machine around it. */
export async function withCpu<T>(pids: () => readonly number[], work: () => Promise<T>): Promise<{ value: T; cpu: CpuUsage }> {
  const before = snapshotCpu(pids());
  const self0 = process.cpuUsage();
  const machine0 = machineTicks();
  const startUs = monotonicUs();
  const value = await work();
  const endUs = monotonicUs();
  const machine1 = machineTicks();
  const self = process.cpuUsage(self0);
  const tree = cpuBetween(before, snapshotCpu(pids()));
  return {
    value,
    cpu: { tree, selfSec: (self.user + self.system) / 1e6, machineSec: (machine1.busy - machine0.busy) / CLOCK_TICKS_PER_SEC, window: { startUs, endUs } },
  };
}

export function readRssKb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Peak RSS of a process tree: of the sum, and of each process by pid (KiB). */
export interface RssPeaks {
  readonly peakKb: number;
  readonly perPidPeakKb: Record<string, number>;
  /** Samples taken. */
  readonly samples: number;
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
  stop(): RssPeaks {
    clearInterval(this.#timer);
    return { peakKb: this.#peakKb, perPidPeakKb: Object.fromEntries([...this.#perPid].map(([k, v]) => [String(k), v])), samples: this.#samples };
  }
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

/** Whether `pid` is a live (non-zombie) process whose command line names `script`. */
export function runs(pid: number, script: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
  } catch {
    return false;
  }
}
