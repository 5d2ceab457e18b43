import { cpus } from 'node:os';
import { table } from '../lib/output.ts';
import { layoutText, type Args } from './cli.ts';
import { f, median, TARGET_ORDER, TARGETS, type Alg, type GrantType, type Target } from './common.ts';
import type { Row } from './measure.ts';

/** Per (alg, target): medians over the rounds (each metric on its own), with the spread of req/s and CPU. */
export interface Summary {
  readonly alg: Alg;
  readonly target: Target;
  readonly grant: GrantType;
  readonly tokens: string;
  readonly rounds: number;
  readonly applications: number;
  readonly secrets: number;
  readonly layout: string;
  readonly connections: number;
  readonly expectStatus: number;
  readonly reqPerSec: number;
  readonly reqPerSecMin: number;
  readonly reqPerSecMax: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuPerRequestMs: number;
  readonly cpuPerRequestMsMin: number;
  readonly cpuPerRequestMsMax: number;
  readonly non2xx: number;
  readonly unexpected: number;
  readonly serverCpuPct: number;
  readonly loadgenCpuPct: number;
  readonly othersCpuPct: number;
}

function summarize(rows: readonly Row[], alg: Alg, target: Target): Summary | null {
  const rs = rows.filter((r) => r.alg === alg && r.target === target);
  const first = rs[0];
  if (!first) return null;
  const m = (pick: (r: Row) => number) => median(rs.map(pick));
  const thr = rs.map((r) => r.reqPerSec);
  const cpu = rs.map((r) => r.cpuPerRequestMs);
  return {
    alg,
    target,
    grant: first.grant,
    tokens: first.tokens,
    rounds: rs.length,
    applications: first.applications,
    secrets: first.secrets,
    layout: layoutText(first.layout),
    connections: first.connections,
    expectStatus: first.expectStatus,
    reqPerSec: median(thr),
    reqPerSecMin: Math.min(...thr),
    reqPerSecMax: Math.max(...thr),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    cpuPerRequestMs: median(cpu),
    cpuPerRequestMsMin: Math.min(...cpu),
    cpuPerRequestMsMax: Math.max(...cpu),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    unexpected: rs.reduce((n, r) => n + r.unexpected, 0),
    serverCpuPct: m((r) => r.serverCpuPct),
    loadgenCpuPct: m((r) => r.loadgenCpuPct),
    othersCpuPct: m((r) => r.othersCpuPct),
  };
}

export function summaries(args: Args, rows: readonly Row[]): Summary[] {
  return args.algs.flatMap((alg) => TARGET_ORDER.map((t) => summarize(rows, alg, t)).filter((x): x is Summary => x !== null));
}

/**
 * One comparison. `measured` compares the req/s the targets reached; on a
 * machine shared with other work they do not get the same CPU, so
 * `cpuNormalized` also compares them as if they had: the inverse ratio of
 * server CPU per request (tokens per CPU-second).
 */
export interface Check {
  readonly alg: Alg;
  readonly check: string;
  readonly measured: number;
  readonly cpuNormalized: number | null;
  readonly unit: 'x' | '%' | 'ms';
  readonly target: string;
  /** null: reported only, no target set by the issue for this one. */
  readonly met: boolean | null;
  readonly metCpuNormalized: boolean | null;
}

/** `a` relative to `b`: throughput ratio and CPU-normalized ratio, with an optional lower bound. */
function ratio(alg: Alg, check: string, a: Summary, b: Summary, unit: 'x' | '%', want: number | null): Check {
  const measured = a.reqPerSec / b.reqPerSec;
  const norm = b.cpuPerRequestMs / a.cpuPerRequestMs;
  const target = want === null ? '' : unit === '%' ? `>= ${want * 100}%` : `>= ${want}x`;
  return { alg, check, measured, cpuNormalized: norm, unit, target, met: want === null ? null : measured >= want, metCpuNormalized: want === null ? null : norm >= want };
}

/** An upper-bound latency check (`value` <= `want`), reported with the CPU-normalized column empty. */
function atMost(alg: Alg, check: string, value: number, unit: 'x' | 'ms', want: number | null): Check {
  const target = want === null ? '' : unit === 'ms' ? `<= ${want} ms` : `<= ${want}x`;
  return { alg, check, measured: value, cpuNormalized: null, unit, target, met: want === null ? null : value <= want, metCpuNormalized: null };
}

/** The comparisons issue #12 sets targets for (and the issue #3/#4 ones it keeps), per algorithm. */
export function checks(list: readonly Summary[]): Check[] {
  const out: Check[] = [];
  const algs = [...new Set(list.map((x) => x.alg))];
  for (const alg of algs) {
    const get = (t: Target) => list.find((x) => x.alg === alg && x.target === t) ?? null;
    const portico = get('portico');
    const peer = get('oidc-provider');
    const ceiling = get('ceiling');
    const otherPortico = get('portico-other-layout');
    const otherCeiling = get('ceiling-other-layout');
    const portico10 = get('portico-c10');
    const ceiling10 = get('ceiling-c10');
    const large = get('portico-large');
    const right = get('portico-5-secrets-right');
    const wrong = get('portico-5-secrets-wrong');
    const rs = alg === 'RS256';
    if (portico && peer) out.push(ratio(alg, 'Portico / oidc-provider throughput', portico, peer, 'x', rs ? TARGETS.rs256VsOidcProvider : TARGETS.es256VsOidcProvider));
    if (portico && ceiling) out.push(ratio(alg, 'Portico / ceiling throughput (same layout)', portico, ceiling, '%', rs ? TARGETS.rs256VsCeiling : null));
    if (portico && otherCeiling) out.push(ratio(alg, 'Portico / ceiling in the other layout', portico, otherCeiling, '%', null));
    if (otherPortico && otherCeiling) out.push(ratio(alg, 'other layout: Portico / its ceiling', otherPortico, otherCeiling, '%', null));
    if (portico && otherPortico) out.push(ratio(alg, 'Portico: this layout / the other layout', portico, otherPortico, 'x', null));
    if (ceiling && otherCeiling) out.push(ratio(alg, 'ceiling: this layout / the other layout', ceiling, otherCeiling, 'x', null));
    if (portico && ceiling) out.push(atMost(alg, `Portico p99 / ceiling p99 (${portico.connections} connections)`, portico.p99Ms / ceiling.p99Ms, 'x', rs ? TARGETS.p99VsCeiling : null));
    if (portico) out.push(atMost(alg, `Portico p99 latency (${portico.connections} connections)`, portico.p99Ms, 'ms', null));
    if (ceiling) out.push(atMost(alg, `ceiling p99 latency (${ceiling.connections} connections, the machine's floor)`, ceiling.p99Ms, 'ms', null));
    if (portico10) out.push(atMost(alg, `Portico p99 latency (${portico10.connections} connections)`, portico10.p99Ms, 'ms', rs ? TARGETS.p99FewConnectionsMs : null));
    if (ceiling10) out.push(atMost(alg, `ceiling p99 latency (${ceiling10.connections} connections)`, ceiling10.p99Ms, 'ms', null));
    // Issue #4 asks for these numbers next to client_credentials; issue #12 for code exchange before and after.
    for (const t of ['portico-code-exchange', 'portico-refresh'] as const) {
      const s = get(t);
      if (s && portico) out.push(ratio(alg, `${s.grant} / client_credentials throughput`, s, portico, '%', null));
    }
    if (portico && large) out.push(ratio(alg, `${large.applications.toLocaleString('en-US')} apps / 1 app throughput`, large, portico, '%', TARGETS.largeVsSmall));
    if (right && wrong) {
      // Cost of a wrong secret relative to a right one: lower is better, so the target is an upper bound.
      const cost = wrong.cpuPerRequestMs / right.cpuPerRequestMs;
      const thr = right.reqPerSec / wrong.reqPerSec;
      out.push({
        alg,
        check: 'wrong / right secret cost (5 secrets)',
        measured: thr,
        cpuNormalized: cost,
        unit: 'x',
        target: `<= ${TARGETS.wrongVsRightCpu}x`,
        met: thr <= TARGETS.wrongVsRightCpu,
        metCpuNormalized: cost <= TARGETS.wrongVsRightCpu,
      });
    }
  }
  return out;
}

function formatCheck(value: number | null, unit: Check['unit']): string {
  if (value === null) return '';
  if (unit === '%') return `${f(value * 100, 0)}%`;
  if (unit === 'ms') return `${f(value, 2)} ms`;
  return `${f(value, 2)}x`;
}

const yesNo = (met: boolean | null) => (met === null ? '' : met ? 'yes' : 'NO');

function mainTable(list: readonly Summary[], spread: boolean): string {
  const header = [
    'alg',
    'target',
    'layout',
    'conns',
    'grant',
    'tokens',
    'apps',
    'secrets',
    'status',
    spread ? 'req/s (min-max)' : 'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'unexpected',
    spread ? 'CPU ms/req (min-max)' : 'CPU ms/req',
    'server CPU%',
    'gen CPU%',
    'others CPU%',
  ];
  const body = list.map((r) => [
    r.alg,
    r.target,
    r.layout,
    String(r.connections),
    r.grant,
    r.tokens,
    r.applications.toLocaleString('en-US'),
    String(r.secrets),
    String(r.expectStatus),
    f(r.reqPerSec, 0) + (spread ? ` (${f(r.reqPerSecMin, 0)}-${f(r.reqPerSecMax, 0)})` : ''),
    f(r.p50Ms, 2),
    f(r.p99Ms, 2),
    String(r.non2xx),
    String(r.unexpected),
    f(r.cpuPerRequestMs, 3) + (spread ? ` (${f(r.cpuPerRequestMsMin, 3)}-${f(r.cpuPerRequestMsMax, 3)})` : ''),
    f(r.serverCpuPct, 0),
    f(r.loadgenCpuPct, 0),
    f(r.othersCpuPct, 0),
  ]);
  return table(header, body, new Set([3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
}

/** A number from a workload's detail object (detail.phase.key, or detail.key when phase is null); 0 when absent. */
function num(detail: Record<string, unknown>, phase: 'warmup' | 'measured' | null, key: string): number {
  const holder = phase === null ? detail : detail[phase];
  if (typeof holder !== 'object' || holder === null) return 0;
  const v: unknown = (holder as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : 0;
}

/** One line per user-token run: what was sent and the evidence that no code or refresh chain went wrong. */
function userTokenLines(rows: readonly Row[], spread: boolean): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const d = r.detail;
    if (d === null) continue;
    const m = (key: string) => num(d, 'measured', key);
    const w = (key: string) => num(d, 'warmup', key);
    const label = `${r.alg} ${r.target}${spread ? ` r${r.round}` : ''}`;
    if (r.grant === 'authorization_code') {
      out.push(
        `  ${label}: ${m('segments')} measured segment(s); ${num(d, null, 'codesMadeTotal').toLocaleString('en-US')} codes made ` +
          `(${num(d, null, 'logins')} logins, ${num(d, null, 'flowRequests').toLocaleString('en-US')} flow requests), ` +
          `${m('codesSent').toLocaleString('en-US')} sent measured + ${w('codesSent').toLocaleString('en-US')} warm-up; ` +
          `oldest code when sent ${f(Math.max(m('maxCodeAgeMs'), w('maxCodeAgeMs')) / 1000, 1)} s; ` +
          `invalid_grant ${m('invalidGrant')} measured / ${w('invalidGrant')} warm-up; stale codes ${m('codesStale') + w('codesStale')}`,
      );
    } else if (r.grant === 'refresh_token') {
      out.push(
        `  ${label}: ${num(d, null, 'chainsMade')} refresh-token chains made, ${(m('rotations') + w('rotations')).toLocaleString('en-US')} rotations ` +
          `(longest chain ${num(d, null, 'maxRotationsOfOneChain')}); invalid_grant ${m('invalidGrant')} measured / ${w('invalidGrant')} warm-up; ` +
          `chains dropped in flight at a run's end ${m('lostInFlight') + w('lostInFlight')}`,
      );
    }
  }
  return out;
}

export function render(args: Args, rows: readonly Row[], checkRows: readonly Check[], extras: Record<string, unknown> & { failures: string[] }): string {
  const out: string[] = [];
  out.push(
    `Portico token endpoint benchmark (HTTP Basic): ${args.connections} connections, ${args.durationSec} s per target ` +
      `(+${args.warmupSec} s warm-up), Portico and the ceiling in layout "${layoutText(args.layout)}" (oidc-provider: ${cpus().length} workers), node ${process.version}, ${cpus().length} CPUs` +
      (args.rounds > 1 ? `, ${args.rounds} rounds (medians over the rounds, each metric on its own)` : '') +
      (args.profile ? ', PROFILED (--cpu-prof on every target: numbers are not representative)' : ''),
    '',
  );
  const spread = args.rounds > 1;
  out.push(mainTable(summaries(args, rows), spread));
  out.push(
    '',
    '"CPU ms/req": user+system CPU of every server process (primary + workers) over the measured window / responses with the expected status.',
    '"unexpected": responses with another status than the one measured. CPU% columns are % of one core (the machine has ' +
      `${cpus().length * 100}%): server = the target's processes, gen = autocannon (this process), others = the rest of the machine.`,
    '"tokens": what every measured answer carries. client_credentials: scope=read, an access token. authorization_code and refresh_token: a',
    'confidential first-party app, scope "openid offline_access", so every answer carries an access token, an ID token and a refresh token',
    '(a code exchange also checks the PKCE S256 verifier; every refresh rotates the refresh token, and the next request of that chain sends',
    'the new one). Codes are made through the real flow (authorize, login via /authkit/oauth2/complete, then the session) between measured',
    'segments; that work is outside the measured windows.',
  );
  const lines = userTokenLines(rows, spread);
  if (lines.length > 0) out.push('', 'User-token runs:', ...lines);
  if (checkRows.length > 0) {
    out.push(
      '',
      'Targets (issue #12; rows without a target are reported only). "measured" compares the req/s reached; "CPU-normalized" compares server CPU per',
      'request instead (tokens per CPU-second), which holds when the targets did not get the same share of a shared machine. For the wrong',
      'secret: measured = right req/s / wrong req/s, CPU-normalized = wrong CPU per request / right CPU per request.',
      '',
    );
    out.push(
      table(
        ['alg', 'check', 'measured', 'CPU-normalized', 'target', 'met (measured)', 'met (CPU-normalized)'],
        checkRows.map((c) => [c.alg, c.check, formatCheck(c.measured, c.unit), formatCheck(c.cpuNormalized, c.unit), c.target, yesNo(c.met), yesNo(c.metCpuNormalized)]),
        new Set([2, 3]),
      ),
    );
  }
  const sources = [...new Set(rows.map((r) => r.source).filter((x): x is string => x !== null))];
  if (sources.length > 0) {
    out.push('', `Portico code measured: ${sources.join(', ')}${sources.length > 1 ? ' (src/ CHANGED during the run: compare rows with care)' : ''}`);
  }
  const wrongAudit = extras.wrongSecretWrites;
  if (wrongAudit !== undefined) out.push('', `Wrong-secret side effects: ${JSON.stringify(wrongAudit)}`);
  for (const r of rows) {
    const p = r.profile;
    if (p === null) continue;
    out.push('', `Profile: ${r.alg} ${r.target}${spread ? ` round ${r.round}` : ''} (${p.files} processes, ${f(p.busyMs / 1000, 1)} s busy in the measured window), top self time`, '');
    out.push(table(['function', '% busy', 'ms'], p.topSelf.map((e) => [e.name, f(e.pct, 1), f(e.ms, 0)]), new Set([1, 2])));
    out.push('', 'by area (self time)', '');
    out.push(table(['area', '% busy', 'ms'], p.byArea.map((e) => [e.name, f(e.pct, 1), f(e.ms, 0)]), new Set([1, 2])));
    if (p.topInclusiveSrc.length > 0) {
      out.push('', 'Portico functions, inclusive time', '');
      out.push(table(['function', '% busy', 'ms'], p.topInclusiveSrc.map((e) => [e.name, f(e.pct, 1), f(e.ms, 0)]), new Set([1, 2])));
    }
  }
  if (extras.failures.length > 0) out.push('', 'FAILED:', ...extras.failures.map((x) => `  ${x}`));
  return `${out.join('\n')}\n`;
}
