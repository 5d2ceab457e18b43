/**
 * Token endpoint benchmark (issues #3, #4 and #12). Not a test: `npm test` never runs it.
 *
 *   npm run bench:token -- [--alg RS256|ES256|both] [--duration 10] [--warmup 2] [--signing async|sync]
 *                          [--workers <n>] [--connections 50] [--large 1000000] [--rounds 1] [--profile]
 *                          [--only portico,code-exchange,refresh,oidc-provider,ceiling,layouts,c10,large,wrong-secret]
 *
 * Issue #12: Portico and the ceiling run in one process layout (--signing and
 * --workers; default: what `npm start` does), oidc-provider in its own best
 * (one process per core, synchronous). `layouts` adds both in the other
 * signing layout, `c10` both at 10 connections. The issue's ratios end the
 * report as a pass/fail table, measured and per CPU-second.
 *
 * `POST /oauth2/token` at 50 connections (autocannon, in this process), one
 * target at a time, each after an unmeasured warm-up with the same kind of
 * requests. Every target runs in its own process tree (a node:cluster
 * primary plus its workers; one process with one worker), in the layouts
 * above. The client_credentials targets get
 * byte-identical requests:
 *
 *   POST /oauth2/token   Authorization: Basic <client_id:secret>
 *   grant_type=client_credentials&scope=read
 *
 * (`scope=read` is sent to every target so that oidc-provider, which grants
 * no scope unless asked, issues the same claim set; Portico grants the same
 * `read` either way.)
 *
 * Targets, per algorithm (RS256, ES256):
 *   portico        `node src/main.ts` on a fresh SQLite file in a temp dir,
 *                  seeded through the management API with one organization,
 *                  one M2M application (scopes [read]) and one client secret.
 *   portico-code-exchange (--only code-exchange)
 *                  grant_type=authorization_code on a fresh Portico: a
 *                  confidential first-party OAuth application (HTTP Basic, no
 *                  consent page), scope "openid offline_access", PKCE S256, so
 *                  every answer carries an access token, an ID token and a
 *                  refresh token. Every request redeems a fresh code made
 *                  through the real flow over HTTP (bench/token/flow.ts) just
 *                  before the segment of load that spends it: codes are
 *                  single-use and live 60 s (bench/token/code-exchange.ts).
 *   portico-refresh (--only refresh)
 *                  grant_type=refresh_token, same application and scope: chains
 *                  of rotating refresh tokens (each made by a code exchange),
 *                  each answer's refresh token sent next; any invalid_grant
 *                  (a broken chain) fails the run (bench/token/refresh.ts).
 *   oidc-provider  node-oidc-provider 9 (bench/peers/oidc-provider-server.ts):
 *                  one client_credentials client, client_secret_basic, JWT
 *                  access tokens signed with the same algorithm (resource
 *                  indicators with a default resource).
 *   ceiling        bench/peers/ceiling-server.ts: node:http, URLSearchParams,
 *                  Basic, one SHA-256 comparison, node:crypto signing of the
 *                  same claims; the floor of what the work can cost.
 *   portico-large  Portico on a database holding --large applications
 *                  (bench/lib/seed.ts, straight SQL; seeded once into a
 *                  template file and copied per run); a client secret is added
 *                  through the API to an M2M application from the middle of the
 *                  table, which is the client under load.
 *   portico-5-secrets-right / -wrong
 *                  One Portico instance, a fresh database, an application with
 *                  five secrets; first the right secret, then a wrong one of
 *                  the same length (401 invalid_client). The failure throttle
 *                  is set far above what a run sends
 *                  (PORTICO_AUTH_FAILURE_LIMIT=999999 per client per minute)
 *                  so that wrong secrets are not turned into 429s.
 *
 * Before measuring, one request per target is checked: 200, three-part JWTs
 * whose header names the algorithm, signatures that verify against the
 * target's key set, and the expected client, scope (and, for user tokens,
 * the ID token's audience and nonce and a rotated refresh token).
 *
 * Reported per run: req/s (responses of the expected status per second of the
 * measured window), p50/p99 latency of those responses, non-2xx count, and
 * server CPU per request: user + system CPU of every process of the target's
 * tree (primary and workers, read from /proc/<pid>/stat before and after)
 * divided by the responses. Then the ratios the issue sets targets for.
 * --rounds n repeats every target n times and reports, per target, the median
 * of each metric over the rounds (with the spread of req/s and CPU). --profile runs every target under `--cpu-prof`
 * (slower: use it to find hot spots, not for the numbers) and prints, per
 * run, the functions with the most self time inside the measured window
 * (profiles are cut to it by timestamp, so start-up and warm-up are left out),
 * self time by area, and Portico's functions by inclusive time; the
 * .cpuprofile files stay in bench/results/token-<timestamp>-profiles/.
 *
 * Output: tables on stdout, progress on stderr, JSON in bench/results/.
 *
 * Modules (bench/token/): cli.ts (flags), common.ts (names, constants),
 * targets.ts (starting and seeding the servers), flow.ts (codes through the
 * authorization flow), workload.ts + code-exchange.ts + refresh.ts (what is
 * sent), measure.ts (one measured run), rounds.ts (the targets of a round),
 * report.ts (tables and checks), profile.ts (--profile). Shared with the
 * management benchmark (bench/lib/): load.ts (autocannon), child.ts (child
 * processes), proc.ts (/proc: CPU, RSS), server.ts (starting Portico),
 * output.ts (tables, results files), cli.ts (flags), seed.ts.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileStamp, loadavgText, machineInfo, writeResults } from './lib/output.ts';
import { layoutText, parseCli } from './token/cli.ts';
import { BODY, f, log, RESULTS_DIR, TARGETS, TOKEN_PATH } from './token/common.ts';
import type { Row } from './token/measure.ts';
import { checks, render, summaries } from './token/report.ts';
import { runRound, seedLargeTemplate, type Env } from './token/rounds.ts';
import { dropTemp } from './token/targets.ts';

async function main(): Promise<void> {
  const args = parseCli();
  const cleanups = new Set<() => Promise<void>>();
  const temps = new Set<string>();
  const removeTemps = () => {
    for (const dir of [...temps]) dropTemp(dir, temps);
  };
  process.once('SIGINT', () => {
    log('\ninterrupted: stopping the servers and removing the temp databases');
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => {
      removeTemps();
      process.exit(130);
    });
  });

  const startedAt = new Date();
  const stamp = fileStamp(startedAt);
  const t0 = performance.now();
  log(
    `Portico token benchmark: ${args.algs.join(', ')}; targets ${[...args.only].join(', ')}; ${args.durationSec} s per target (+${args.warmupSec} s warm-up), ` +
      `${args.connections} connections, layout "${layoutText(args.layout)}", ${args.rounds} round(s); load average ${loadavgText()}`,
  );

  const rows: Row[] = [];
  const extras: Env['extras'] = { failures: [] };
  const env: Env = {
    args,
    cleanups,
    temps,
    profileRoot: args.profile ? join(RESULTS_DIR, `token-${stamp}-profiles`) : null,
    large: null,
    extras,
  };
  try {
    const large = args.only.has('large') ? await seedLargeTemplate(args, temps) : null;
    const runEnv: Env = { ...env, large };
    if (large) extras.largeSeed = { applications: large.seeded.applications, organizations: large.seeded.organizations, seconds: large.seeded.seconds };
    for (const alg of args.algs) {
      for (let round = 1; round <= args.rounds; round++) {
        log(`\n[${alg}${args.rounds > 1 ? ` round ${round}/${args.rounds}` : ''}]`);
        await runRound(runEnv, { args, alg, round, rows });
      }
    }
  } finally {
    removeTemps();
  }

  const summaryRows = summaries(args, rows);
  const checkRows = checks(summaryRows);
  const text = render(args, rows, checkRows, extras);
  process.stdout.write(`\n${text}`);

  const file = writeResults('token', startedAt, {
    benchmark: 'token',
    startedAt: startedAt.toISOString(),
    totalSeconds: (performance.now() - t0) / 1000,
    args: { ...args, only: [...args.only] },
    request: { method: 'POST', path: TOKEN_PATH, body: BODY, auth: 'client_secret_basic' },
    requests: {
      client_credentials: { body: BODY, auth: 'client_secret_basic' },
      authorization_code: {
        body: 'grant_type=authorization_code&code=<fresh code>&redirect_uri=<registered>&code_verifier=<its PKCE verifier>',
        auth: 'client_secret_basic',
        scope: 'openid offline_access',
        answer: 'access_token + id_token + refresh_token',
      },
      refresh_token: { body: 'grant_type=refresh_token&refresh_token=<latest of the chain>', auth: 'client_secret_basic', answer: 'access_token + id_token + refresh_token (rotated)' },
    },
    machine: machineInfo(),
    targets: TARGETS,
    summaries: summaryRows,
    checks: checkRows,
    rows,
    extras,
  });
  log(`\nresults: ${file} (total ${f((performance.now() - t0) / 1000, 0)} s)`);
  if (extras.failures.length > 0) process.exitCode = 1;
}

await main();
