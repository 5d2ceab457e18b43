import type { ChildLogs } from './child.ts';
import type { Dialect } from './databases.ts';
import type { LatencySummary, LoadOutcome } from './load.ts';
import { fmt, table } from './output.ts';

export type SizeName = 'small' | 'large';

/** One (dialect, size, scenario): every round pooled. */
export interface Row extends LatencySummary, Pick<LoadOutcome, 'non2xx' | 'errors' | 'timeouts' | 'statusCounts'> {
  readonly dialect: Dialect;
  readonly size: SizeName;
  readonly applications: number;
  readonly scenario: string;
  readonly requests: number;
  /** Time the measured runs were serving (sum over rounds and laps). */
  readonly seconds: number;
  readonly reqPerSec: number;
  /** p99 of each round on its own, to show the spread. */
  readonly roundP99Ms: readonly number[];
  /** Peak of the summed VmRSS of the server's processes (primary + workers). */
  readonly peakRssMb: number;
  /** Each server process's own peak, by pid. */
  readonly perProcessPeakRssMb: Record<string, number>;
  /** Server processes and the load generator (this process), % of one core over the measured time. */
  readonly serverCpuPct: number;
  readonly loadgenCpuPct: number;
  /** Machine-wide busy CPU minus the two above: PostgreSQL backends and anything else running. */
  readonly restCpuPct: number;
  /** Measured autocannon runs pooled here (rounds x create-secret laps). */
  readonly runs: number;
  readonly loadavgAfter: readonly number[];
  readonly problems: readonly string[];
}

export interface SizeReport {
  readonly dialect: Dialect;
  readonly size: SizeName;
  readonly applications: number;
  readonly organizations: number;
  readonly seedSeconds: number;
  readonly databaseMb: number;
  /** Processes in the server's tree once ready (1 + workers when PORTICO_WORKERS > 1). */
  readonly serverProcesses: number;
  readonly idleRssMb: number;
  readonly serverLogs: ChildLogs | null;
  readonly error: string | null;
}

export interface Ratio {
  readonly dialect: Dialect;
  readonly scenario: string;
  readonly smallP99Ms: number;
  readonly largeP99Ms: number;
  readonly p99Ratio: number;
  readonly p50Ratio: number;
  readonly reqPerSecRatio: number;
  /** List scenarios only: whether the p99 ratio is within the target. */
  readonly withinTarget: boolean | null;
}

export function ratios(rows: readonly Row[], target: number): Ratio[] {
  const out: Ratio[] = [];
  for (const small of rows.filter((r) => r.size === 'small')) {
    const large = rows.find((r) => r.size === 'large' && r.dialect === small.dialect && r.scenario === small.scenario);
    if (!large) continue;
    const p99Ratio = large.p99Ms / small.p99Ms;
    out.push({
      dialect: small.dialect,
      scenario: small.scenario,
      smallP99Ms: small.p99Ms,
      largeP99Ms: large.p99Ms,
      p99Ratio,
      p50Ratio: large.p50Ms / small.p50Ms,
      reqPerSecRatio: large.reqPerSec / small.reqPerSec,
      withinTarget: small.scenario.startsWith('list-') ? p99Ratio <= target : null,
    });
  }
  return out;
}

export interface RenderInput {
  readonly title: readonly string[];
  readonly rows: readonly Row[];
  readonly ratios: readonly Ratio[];
  readonly sizes: readonly SizeReport[];
  readonly target: number;
}

export function render({ title, rows, ratios: ratioRows, sizes, target }: RenderInput): string {
  const out: string[] = [...title, ''];
  out.push(
    table(
      ['dialect', 'size', 'apps', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'non-2xx', 'errors', 'srv CPU%', 'gen CPU%', 'rest CPU%'],
      rows.map((r) => [
        r.dialect,
        r.size,
        r.applications.toLocaleString('en-US'),
        r.scenario,
        fmt(r.reqPerSec, 0),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
        fmt(r.peakRssMb, 1),
        String(r.non2xx),
        String(r.errors),
        fmt(r.serverCpuPct, 0),
        fmt(r.loadgenCpuPct, 0),
        fmt(r.restCpuPct, 0),
      ]),
      new Set([2, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    ),
  );
  if (ratioRows.length > 0) {
    out.push('', `Large / small (target for list p99: within ${target}x)`, '');
    out.push(
      table(
        ['dialect', 'scenario', 'p99 small ms', 'p99 large ms', 'p99 ratio', 'p50 ratio', 'req/s ratio', 'target'],
        ratioRows.map((r) => [
          r.dialect,
          r.scenario,
          fmt(r.smallP99Ms, 2),
          fmt(r.largeP99Ms, 2),
          `${fmt(r.p99Ratio, 2)}x`,
          `${fmt(r.p50Ratio, 2)}x`,
          `${fmt(r.reqPerSecRatio, 2)}x`,
          r.withinTarget === null ? '' : r.withinTarget ? 'ok' : 'MISSED',
        ]),
        new Set([2, 3, 4, 5, 6]),
      ),
    );
  }
  out.push('', 'Databases and servers', '');
  out.push(
    table(
      ['dialect', 'size', 'apps', 'orgs', 'seed s', 'DB MB', 'server procs', 'idle RSS MB', 'server warn/error logs', 'status'],
      sizes.map((s) => [
        s.dialect,
        s.size,
        s.applications.toLocaleString('en-US'),
        s.organizations.toLocaleString('en-US'),
        fmt(s.seedSeconds, 1),
        fmt(s.databaseMb, 0),
        String(s.serverProcesses),
        fmt(s.idleRssMb, 1),
        s.serverLogs ? `${s.serverLogs.warnings}/${s.serverLogs.errors}` : 'n/a',
        s.error === null ? 'ok' : `FAILED: ${s.error.slice(0, 160)}`,
      ]),
      new Set([2, 3, 4, 5, 6, 7]),
    ),
  );
  return `${out.join('\n')}\n`;
}
