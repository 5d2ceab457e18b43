import { latencySummary, type LatencySummary, type LoadOutcome } from '../lib/load.ts';
import { loadavgNow } from '../lib/output.ts';
import { withCpu, type CpuUsage, type WindowUs } from '../lib/proc.ts';
import type { Args, Layout } from './cli.ts';
import { f, log, type Alg, type GrantType, type Target } from './common.ts';
import type { ProfileSummary } from './profile.ts';
import type { Live } from './targets.ts';
import type { Workload } from './workload.ts';

/** One measured run of one target. */
export interface Row extends LatencySummary, Pick<LoadOutcome, 'responses' | 'expected' | 'non2xx' | 'unexpected' | 'errors' | 'timeouts' | 'statusCounts'> {
  readonly alg: Alg;
  readonly target: Target;
  readonly round: number;
  readonly grant: GrantType;
  /** What every expected answer carries. */
  readonly tokens: string;
  readonly applications: number;
  readonly secrets: number;
  /** The process layout the server ran in (issue #12). */
  readonly layout: Layout;
  readonly connections: number;
  readonly expectStatus: number;
  /** Responses during the warm-up (not measured). */
  readonly warmupResponses: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  readonly serverCpuSec: number;
  /** Server CPU (all processes) per response of the expected status, ms. */
  readonly cpuPerRequestMs: number;
  /** Server CPU, % of one core, over the measured window. */
  readonly serverCpuPct: number;
  readonly serverProcesses: number;
  readonly lostProcesses: number;
  readonly perProcessCpuSec: Record<string, number>;
  /** This process (autocannon), % of one core. */
  readonly loadgenCpuPct: number;
  /** Everything else on the machine (other processes), % of one core: the machine was shared when this is high. */
  readonly othersCpuPct: number;
  readonly loadavgBefore: readonly number[];
  readonly tokenBytes: number | null;
  readonly tokenClaims: readonly string[] | null;
  /** What else the verified answer carried (ID token, refresh token). */
  readonly verifiedExtra: Record<string, unknown> | null;
  readonly problems: readonly string[];
  readonly note: string | null;
  /** Portico rows: the code measured (commit + digest of src/). */
  readonly source: string | null;
  /** From the start of the first measured segment to the end of the last (process.hrtime µs). */
  readonly windowUs: WindowUs;
  /** The measured segments (one, but for code-exchange); the servers' CPU profiles are cut to them. */
  readonly windowsUs: readonly WindowUs[];
  /** Workload counters (codes made, chains...). */
  readonly detail: Record<string, unknown> | null;
  /** Reasons the workload gives for not trusting the run. */
  readonly failures: readonly string[];
  profile: ProfileSummary | null;
}

export interface RunContext {
  readonly args: Args;
  readonly alg: Alg;
  readonly round: number;
  readonly rows: Row[];
}

/** CPU of the server tree, of this process and of the machine over the measured segments. */
class CpuAccount {
  serverSec = 0;
  selfSec = 0;
  machineSec = 0;
  processes = 0;
  lost = 0;
  readonly perProcess: Record<string, number> = {};
  readonly windows: WindowUs[] = [];

  add({ tree, selfSec, machineSec, window }: CpuUsage): void {
    this.serverSec += tree.seconds;
    this.selfSec += selfSec;
    this.machineSec += machineSec;
    this.processes = Math.max(this.processes, tree.processes);
    this.lost += tree.lost;
    for (const [pid, s] of Object.entries(tree.perProcess)) this.perProcess[pid] = (this.perProcess[pid] ?? 0) + s;
    this.windows.push(window);
  }
}

export interface MeasureOptions {
  readonly applications: number;
  readonly secrets: number;
  readonly layout: Layout;
  readonly connections: number;
  readonly note?: string;
}

export async function measure(ctx: RunContext, target: Target, live: Live, workload: Workload, opts: MeasureOptions): Promise<Row> {
  const verified = workload.expectStatus === 200 ? await workload.verify(ctx.alg) : null;
  let warmupResponses = 0;
  if (ctx.args.warmupSec > 0) {
    const w = await workload.run(ctx.args.warmupSec, 'warmup', (load) => load());
    if (w.expected === 0) throw new Error(`${target}: the warm-up got no ${workload.expectStatus} responses: ${w.problems.join(' | ')}`);
    warmupResponses = w.responses;
  }
  const loadavgBefore = loadavgNow();
  const acct = new CpuAccount();
  const outcome = await workload.run(ctx.args.durationSec, 'measured', async (load) => {
    const { value, cpu } = await withCpu(() => live.server.pids(), load);
    acct.add(cpu);
    return value;
  });
  const seconds = outcome.activeMs / 1000;
  const failures = workload.failures();
  const row: Row = {
    alg: ctx.alg,
    target,
    round: ctx.round,
    grant: workload.grant,
    tokens: workload.tokens,
    applications: opts.applications,
    secrets: opts.secrets,
    layout: opts.layout,
    connections: opts.connections,
    expectStatus: workload.expectStatus,
    responses: outcome.responses,
    expected: outcome.expected,
    warmupResponses,
    seconds,
    reqPerSec: outcome.expected / seconds,
    ...latencySummary(outcome.latenciesMs),
    non2xx: outcome.non2xx,
    unexpected: outcome.unexpected,
    errors: outcome.errors,
    timeouts: outcome.timeouts,
    statusCounts: outcome.statusCounts,
    serverCpuSec: acct.serverSec,
    cpuPerRequestMs: outcome.expected > 0 ? (acct.serverSec * 1000) / outcome.expected : Number.NaN,
    serverCpuPct: (acct.serverSec / seconds) * 100,
    serverProcesses: acct.processes,
    lostProcesses: acct.lost,
    perProcessCpuSec: acct.perProcess,
    loadgenCpuPct: (acct.selfSec / seconds) * 100,
    othersCpuPct: Math.max(0, ((acct.machineSec - acct.serverSec - acct.selfSec) / seconds) * 100),
    loadavgBefore,
    tokenBytes: verified?.bytes ?? null,
    tokenClaims: verified?.claims ?? null,
    verifiedExtra: verified?.extra ?? null,
    problems: outcome.problems,
    note: opts.note ?? null,
    source: live.source,
    windowUs: { startUs: acct.windows[0]?.startUs ?? 0, endUs: acct.windows.at(-1)?.endUs ?? 0 },
    windowsUs: acct.windows,
    detail: workload.detail(),
    failures,
    profile: null,
  };
  ctx.rows.push(row);
  log(
    `  ${`${target}`.padEnd(24)} ${f(row.reqPerSec, 0).padStart(6)} req/s  p50 ${f(row.p50Ms, 2)} ms  p99 ${f(row.p99Ms, 2)} ms  ` +
      `CPU ${f(row.cpuPerRequestMs, 3)} ms/req (${f(row.serverCpuPct, 0)}% over ${row.serverProcesses} procs)  gen ${f(row.loadgenCpuPct, 0)}%  others ${f(row.othersCpuPct, 0)}%  ` +
      `non-2xx ${row.non2xx}  unexpected ${row.unexpected}  errors ${row.errors}` +
      (acct.windows.length > 1 ? `  (${acct.windows.length} segments)` : ''),
  );
  if (row.lostProcesses > 0) log(`    ! ${row.lostProcesses} server process(es) exited during the run: their CPU is missing`);
  for (const p of row.problems) log(`    ! ${p}`);
  for (const p of failures) log(`    ! ${p}`);
  return row;
}
