/**
 * Management API benchmark (issue #2). Not a test: `npm test` never runs it.
 *
 *   npm run bench:management -- [--duration 10] [--dialect sqlite|postgres|all] [--large 1000000]
 *       [--small 1000] [--connections 50] [--warmup 2] [--rounds 1] [--workers <n>]
 *       [--only get-application,list-applications,...] [--sizes small,large]
 *
 * For each dialect, two fresh databases are created (SQLite: temp files;
 * PostgreSQL: new databases next to PORTICO_BENCH_POSTGRES_URL, dropped
 * afterwards) and seeded directly with SQL (bench/lib/seed.ts): "small" with
 * 1,000 applications, "large" with 1,000,000. One Portico server per database
 * then runs as a child process (`node src/main.ts`, as in production), so that
 * autocannon's load generation never shares the server's event loop. Each
 * scenario runs with 50 connections, after an unmeasured warm-up of the same
 * requests, against small then large (then large then small in the next
 * --rounds, and so on): the two sizes of one scenario are measured back to
 * back, so drifting machine load hits both alike. Only one server is under
 * load at a time; the other is idle.
 *
 *   get-application          GET /connect/applications/:id, alternating the
 *                            application ID and the client ID of random seeded apps
 *   list-applications        GET /connect/applications?limit=10 (first page)
 *   list-applications-org    the same with organization_id = a random organization
 *                            (~90 applications each, spread over the whole table)
 *   list-applications-after  the same with after = a random application ID
 *                            from the middle fifth of the table
 *   create-secret            POST /connect/applications/:id/client_secrets
 *
 * create-secret, and why it is measured this way: every measured request is
 * a real create (a 201 through the whole path: API-key check, application
 * lookup, the capped-insert transaction with its row lock / write lock, the
 * audit event, the commit's fsync). No deletes are interleaved: they would
 * share the server and the write lock with the creates and blur both numbers.
 * Creates go round-robin over the sampled applications (all of the small
 * table's), so no two in-flight requests target the same application and each
 * application receives at most SECRETS_PER_APP_PER_LAP (4) secrets per lap:
 * under the cap of 5, so no request short-circuits into a cheap 422. A lap
 * ends when that capacity is used up (autocannon's maxOverallRequests); the
 * bench then deletes every secret with one SQL statement while the server is
 * idle (not measured) and starts another lap, until the measured time reaches
 * --duration. Throughput is creates / time the laps were serving; latencies
 * are of the creates only. Each lap opens fresh connections, which costs a
 * little. Audit events of the creates are kept, as a real server keeps them.
 *
 * The server runs with PORTICO_WORKERS unset, i.e. its own default (one
 * cluster worker per core), unless --workers is given. Peak RSS is the peak of
 * the summed VmRSS of the server's processes (primary + workers, read from
 * /proc/<pid>/status every 50 ms during the measured runs). Latency
 * percentiles are exact, over every 2xx response (autocannon's histogram
 * rounds to whole milliseconds). Output: a table on stdout, progress on
 * stderr, JSON in bench/results/ (git-ignored).
 */
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { logLines } from './lib/child.ts';
import { cli, type Cli } from './lib/cli.ts';
import {
  checkPostgres,
  createBenchDatabase,
  DEFAULT_POSTGRES_URL,
  deleteAllSecrets,
  redactUrl,
  type BenchDatabase,
  type Dialect,
} from './lib/databases.ts';
import { latencySummary, mergeOutcomes, percentiles, runLoad, type LoadOutcome } from './lib/load.ts';
import { errorMessage, loadavgNow, loadavgText, log, machineInfo, writeResults } from './lib/output.ts';
import { readRssKb, RssSampler, withCpu, type CpuUsage, type RssPeaks } from './lib/proc.ts';
import { ratios, render, type Row, type SizeName, type SizeReport } from './lib/report.ts';
import { createSecretRequests, readRequests, sanityCheck, SCENARIOS, type Requests, type Scenario } from './lib/scenarios.ts';
import { seed, type SeedResult } from './lib/seed.ts';
import { startPortico, type PorticoServer } from './lib/server.ts';

/** Below MAX_SECRETS_PER_APPLICATION (5): a create is never refused for the cap. */
const SECRETS_PER_APP_PER_LAP = 4;
/** The issue's target: list p99 on the large table within this factor of the small one. */
const LIST_P99_RATIO_TARGET = 2;

// ---------------------------------------------------------------- arguments

interface Args {
  readonly durationSec: number;
  readonly dialects: readonly Dialect[];
  readonly sizes: readonly SizeName[];
  readonly small: number;
  readonly large: number;
  readonly connections: number;
  readonly warmupSec: number;
  readonly rounds: number;
  /** PORTICO_WORKERS for the servers; undefined keeps their default (one per core). */
  readonly workers: number | undefined;
  readonly scenarios: readonly Scenario[];
  readonly postgresUrl: string;
}

const flags: Cli = cli(
  'usage: npm run bench:management -- [--duration <s>] [--dialect sqlite|postgres|all] [--large <n>] [--small <n>] ' +
    '[--connections <n>] [--warmup <s>] [--rounds <n>] [--workers <n>] [--only <scenario,...>] [--sizes small,large]',
);

function list<T extends string>(raw: string | undefined, name: string, allowed: readonly T[]): T[] {
  if (raw === undefined) return [...allowed];
  const items = raw.split(',').map((s) => s.trim());
  const valid = items.filter((s): s is T => (allowed as readonly string[]).includes(s));
  if (valid.length !== items.length || valid.length === 0) flags.usage(`--${name} takes a comma-separated list of ${allowed.join(', ')} (got "${raw}")`);
  return allowed.filter((a) => valid.includes(a));
}

function parseCli(): Args {
  const values = flags.parse(['duration', 'dialect', 'large', 'small', 'connections', 'warmup', 'rounds', 'workers', 'only', 'sizes']);
  if (values.help) flags.usage('Benchmarks the management API (issue #2); see the header of bench/management.ts.', 0);
  const dialect = values.dialect ?? 'all';
  if (dialect !== 'sqlite' && dialect !== 'postgres' && dialect !== 'all') flags.usage(`--dialect must be sqlite, postgres or all (got "${dialect}")`);
  return {
    durationSec: flags.integer(values.duration, 'duration', 10),
    dialects: dialect === 'all' ? ['sqlite', 'postgres'] : [dialect],
    sizes: list(values.sizes, 'sizes', ['small', 'large'] as const),
    small: flags.integer(values.small, 'small', 1_000),
    large: flags.integer(values.large, 'large', 1_000_000),
    connections: flags.integer(values.connections, 'connections', 50),
    warmupSec: flags.integer(values.warmup, 'warmup', 2, 0),
    rounds: flags.integer(values.rounds, 'rounds', 1),
    workers: values.workers === undefined ? undefined : flags.integer(values.workers, 'workers', 1),
    scenarios: list(values.only, 'only', SCENARIOS),
    postgresUrl: process.env.PORTICO_BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL,
  };
}

function workersText(args: Args): string {
  return args.workers === undefined ? `PORTICO_WORKERS unset (server default: one per core = ${availableParallelism()})` : `PORTICO_WORKERS=${args.workers}`;
}

// ---------------------------------------------------------------- measuring

/** A seeded database with its server. */
interface Target {
  readonly dialect: Dialect;
  readonly size: SizeName;
  readonly db: BenchDatabase;
  readonly seeded: SeedResult;
  readonly server: PorticoServer;
}

/** One measured run (or, for create-secret, a run of laps) against one target. */
interface Measurement {
  readonly outcomes: readonly LoadOutcome[];
  /** Peak RSS of the server's processes. */
  readonly rss: RssPeaks;
  /** CPU of the server's processes (tree), of the load generator (self) and of the machine. */
  readonly cpu: CpuUsage;
}

function load(args: Args, t: Target, requests: Requests, durationSec: number, maxOverallRequests?: number): Promise<LoadOutcome> {
  return runLoad({
    baseUrl: t.server.baseUrl,
    headers: { authorization: `Bearer ${t.server.apiKey}`, accept: 'application/json' },
    connections: args.connections,
    durationSec,
    ...requests,
    ...(maxOverallRequests !== undefined && { maxOverallRequests }),
  });
}

/** Runs `work` with RSS and CPU sampling of the server's process tree around it. */
async function measure(t: Target, work: () => Promise<LoadOutcome[]>): Promise<Measurement> {
  const sampler = new RssSampler(() => t.server.pids());
  const { value: outcomes, cpu } = await withCpu(() => t.server.pids(), work);
  return { outcomes, rss: sampler.stop(), cpu };
}

/** See the header comment: capacity-bounded laps of pure creates, cleaned up between laps. */
async function createSecrets(args: Args, t: Target): Promise<Measurement> {
  const pool = t.seeded.sample;
  const capacity = pool.length * SECRETS_PER_APP_PER_LAP;
  const lapRequests = () => createSecretRequests(pool);
  if (args.warmupSec > 0) {
    await load(args, t, lapRequests(), args.warmupSec, capacity);
    await deleteAllSecrets(t.db.url);
  }
  return measure(t, async () => {
    const outcomes: LoadOutcome[] = [];
    const targetMs = args.durationSec * 1000;
    let servedMs = 0;
    while (outcomes.length === 0 || servedMs < targetMs - 250) {
      const outcome = await load(args, t, lapRequests(), Math.max(1, Math.ceil((targetMs - servedMs) / 1000)), capacity);
      outcomes.push(outcome);
      servedMs += outcome.activeMs;
      await deleteAllSecrets(t.db.url);
      if (outcome.responses === 0) break;
    }
    return outcomes;
  });
}

async function runScenario(args: Args, scenario: Scenario, t: Target): Promise<Measurement> {
  if (scenario === 'create-secret') return createSecrets(args, t);
  if (args.warmupSec > 0) await load(args, t, readRequests(scenario, t.seeded), args.warmupSec);
  return measure(t, async () => [await load(args, t, readRequests(scenario, t.seeded), args.durationSec)]);
}

/** Pools the measurements of one (target, scenario) over the rounds. */
function toRow(t: Target, scenario: Scenario, ms: readonly Measurement[]): Row {
  const outcomes = ms.flatMap((m) => m.outcomes);
  const all = mergeOutcomes(outcomes);
  const seconds = all.activeMs / 1000;
  const perPid: Record<string, number> = {};
  for (const m of ms) for (const [pid, kb] of Object.entries(m.rss.perPidPeakKb)) perPid[pid] = Math.max(perPid[pid] ?? 0, Math.round((kb / 1024) * 10) / 10);
  return {
    dialect: t.dialect,
    size: t.size,
    applications: t.seeded.applications,
    scenario,
    requests: all.responses,
    seconds,
    reqPerSec: all.responses / seconds,
    ...latencySummary(all.latenciesMs),
    roundP99Ms: ms.map((m) => percentiles(m.outcomes.flatMap((o) => o.latenciesMs), [99])[0] ?? Number.NaN),
    peakRssMb: Math.max(...ms.map((m) => m.rss.peakKb)) / 1024,
    perProcessPeakRssMb: perPid,
    non2xx: all.non2xx,
    errors: all.errors,
    timeouts: all.timeouts,
    statusCounts: all.statusCounts,
    serverCpuPct: (ms.reduce((n, m) => n + m.cpu.tree.seconds, 0) / seconds) * 100,
    loadgenCpuPct: (ms.reduce((n, m) => n + m.cpu.selfSec, 0) / seconds) * 100,
    restCpuPct: (ms.reduce((n, m) => n + m.cpu.machineSec - m.cpu.tree.seconds - m.cpu.selfSec, 0) / seconds) * 100,
    runs: outcomes.length,
    loadavgAfter: loadavgNow(),
    problems: all.problems,
  };
}

// ---------------------------------------------------------------- orchestration

interface Prepared {
  readonly size: SizeName;
  db: BenchDatabase | null;
  seeded: SeedResult | null;
  server: PorticoServer | null;
  databaseMb: number;
  idleRssMb: number;
  processes: number;
}

async function runDialect(args: Args, dialect: Dialect, rows: Row[], cleanups: Set<() => Promise<void>>): Promise<SizeReport[]> {
  const prepared: Prepared[] = args.sizes.map((size) => ({ size, db: null, seeded: null, server: null, databaseMb: Number.NaN, idleRssMb: Number.NaN, processes: 0 }));
  const cleanup = async () => {
    for (const p of prepared) {
      await p.server?.stop().catch((e: unknown) => log(`  could not stop the ${p.size} server: ${String(e)}`));
      await p.db?.drop().catch((e: unknown) => log(`  could not drop the ${p.size} database: ${String(e)}`));
    }
  };
  cleanups.add(cleanup);
  let error: string | null = null;
  try {
    for (const p of prepared) {
      const applications = p.size === 'small' ? args.small : args.large;
      log(`\n[${dialect} / ${p.size}] seeding ${applications.toLocaleString('en-US')} applications`);
      p.db = await createBenchDatabase(dialect, p.size, args.postgresUrl);
      log(`  database ${redactUrl(p.db.url)}`);
      p.seeded = await seed(p.db.url, applications, log);
      p.databaseMb = (await p.db.sizeBytes()) / 1024 / 1024;
      log(`  seeded in ${p.seeded.seconds.toFixed(1)} s (${p.seeded.organizations.toLocaleString('en-US')} organizations, ${p.databaseMb.toFixed(0)} MB on disk)`);
    }
    const targets: Target[] = [];
    for (const p of prepared) {
      p.server = await startPortico({ databaseUrl: p.db!.url, workers: args.workers });
      const pids = p.server.pids();
      p.processes = pids.length;
      p.idleRssMb = pids.reduce((n, pid) => n + (readRssKb(pid) ?? 0), 0) / 1024;
      log(`[${dialect} / ${p.size}] server pid ${p.server.pid} on ${p.server.baseUrl}: ${pids.length} process(es), idle RSS ${p.idleRssMb.toFixed(1)} MB`);
      const t: Target = { dialect, size: p.size, db: p.db!, seeded: p.seeded!, server: p.server };
      await sanityCheck(t.server, t.seeded);
      targets.push(t);
    }

    for (const scenario of args.scenarios) {
      log(`\n[${dialect}] ${scenario}`);
      const measured = new Map<SizeName, Measurement[]>();
      for (let round = 0; round < args.rounds; round++) {
        // small, large; then large, small; ...: neither size always goes first.
        for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
          const m = await runScenario(args, scenario, t);
          measured.set(t.size, [...(measured.get(t.size) ?? []), m]);
          const r = toRow(t, scenario, [m]);
          log(
            `  ${t.size.padEnd(5)} ${args.rounds > 1 ? `round ${round + 1} ` : ''}${r.reqPerSec.toFixed(0).padStart(6)} req/s  ` +
              `p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  RSS ${r.peakRssMb.toFixed(1)} MB  ` +
              `non-2xx ${r.non2xx}  errors ${r.errors}  CPU% srv/gen/rest ${r.serverCpuPct.toFixed(0)}/${r.loadgenCpuPct.toFixed(0)}/${r.restCpuPct.toFixed(0)}` +
              `${r.runs > 1 ? `  (${r.runs} laps)` : ''}`,
          );
          for (const problem of r.problems) log(`    ! ${problem}`);
        }
      }
      for (const t of targets) rows.push(toRow(t, scenario, measured.get(t.size) ?? []));
    }
  } catch (err) {
    error = errorMessage(err);
    log(`  FAILED: ${error}`);
  } finally {
    for (const p of prepared) {
      if (p.server) for (const line of logLines(`${p.size} server`, p.server.logs())) log(line);
    }
    await cleanup();
    cleanups.delete(cleanup);
  }
  return prepared.map((p) => ({
    dialect,
    size: p.size,
    applications: p.seeded?.applications ?? (p.size === 'small' ? args.small : args.large),
    organizations: p.seeded?.organizations ?? 0,
    seedSeconds: p.seeded?.seconds ?? Number.NaN,
    databaseMb: p.databaseMb,
    serverProcesses: p.processes,
    idleRssMb: p.idleRssMb,
    serverLogs: p.server?.logs() ?? null,
    error,
  }));
}

async function main(): Promise<void> {
  const args = parseCli();
  const cleanups = new Set<() => Promise<void>>();
  process.once('SIGINT', () => {
    log('\ninterrupted: stopping the servers and dropping the databases');
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  });

  const startedAt = new Date();
  const t0 = performance.now();
  log(
    `Portico management benchmark: ${args.dialects.join(', ')}; ${args.sizes.map((s) => `${s} ${(s === 'small' ? args.small : args.large).toLocaleString('en-US')}`).join(', ')} applications; ` +
      `${args.durationSec} s per scenario x ${args.rounds} round(s), ${args.connections} connections; ${workersText(args)}; ` +
      `load average ${loadavgText()}`,
  );

  const rows: Row[] = [];
  const sizes: SizeReport[] = [];
  for (const dialect of args.dialects) {
    if (dialect === 'postgres') {
      try {
        await checkPostgres(args.postgresUrl);
      } catch (err) {
        const message = `PostgreSQL at ${redactUrl(args.postgresUrl)} did not answer: ${errorMessage(err)}`;
        log(`\n[postgres] skipped: ${message}`);
        for (const size of args.sizes) {
          const applications = size === 'small' ? args.small : args.large;
          sizes.push({ dialect, size, applications, organizations: 0, seedSeconds: Number.NaN, databaseMb: Number.NaN, serverProcesses: 0, idleRssMb: Number.NaN, serverLogs: null, error: message });
        }
        continue;
      }
    }
    sizes.push(...(await runDialect(args, dialect, rows, cleanups)));
  }

  const ratioRows = ratios(rows, LIST_P99_RATIO_TARGET);
  const text = render({
    title: [
      `Portico management API benchmark: ${args.connections} connections, ${args.durationSec} s per scenario x ${args.rounds} round(s) ` +
        `(+${args.warmupSec} s warm-up each), node ${process.version}, ${cpus().length} CPUs, ${workersText(args)}`,
      'peak RSS = peak of the summed VmRSS of the server processes (primary + workers); srv CPU% = all server processes, in % of one core;',
      'gen CPU% = the load generator (autocannon, this process); rest CPU% = everything else busy on the machine meanwhile:',
      `PostgreSQL backends, and any other work (on SQLite rows it is, apart from kernel I/O work, other processes: noise). Machine: ${cpus().length} cores = ${cpus().length * 100}%.`,
    ],
    rows,
    ratios: ratioRows,
    sizes,
    target: LIST_P99_RATIO_TARGET,
  });
  process.stdout.write(`\n${text}`);

  const file = writeResults('management', startedAt, {
    benchmark: 'management',
    startedAt: startedAt.toISOString(),
    totalSeconds: (performance.now() - t0) / 1000,
    args: { ...args, postgresUrl: redactUrl(args.postgresUrl) },
    machine: machineInfo(),
    listP99RatioTarget: LIST_P99_RATIO_TARGET,
    rows,
    ratios: ratioRows,
    sizes,
  });
  log(`\nresults: ${file} (total ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  if (sizes.some((s) => s.error !== null)) process.exitCode = 1;
}

await main();
