import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openKysely } from '../lib/databases.ts';
import { seed, type SeedResult } from '../lib/seed.ts';
import { layoutOf, layoutText, otherLayout, type Args, type Layout } from './cli.ts';
import { codeExchangeWorkload } from './code-exchange.ts';
import { AUTH_FAILURE_LIMIT_MAX, AUTHORIZE_RATE_LIMIT_MAX, errorMessage, f, log, SCOPE, type Target } from './common.ts';
import { CodeFactory, REDIRECT_URI } from './flow.ts';
import { measure, type MeasureOptions, type Row, type RunContext } from './measure.ts';
import { refreshWorkload } from './refresh.ts';
import { api, dropTemp, porticoLive, seedClient, seedFirstPartyApp, startPeer, startPortico, withServer, type Live, type PorticoInstance } from './targets.ts';
import { clientCredentialsWorkload, type Workload } from './workload.ts';

/** One round: every selected target of one algorithm, one after the other, each on its own server. */

export interface LargeTemplate {
  readonly dir: string;
  readonly file: string;
  readonly seeded: SeedResult;
}

export interface Env {
  readonly args: Args;
  readonly cleanups: Set<() => Promise<void>>;
  readonly temps: Set<string>;
  readonly profileRoot: string | null;
  readonly large: LargeTemplate | null;
  readonly extras: Record<string, unknown> & { failures: string[] };
}

/** The --large database, seeded once (straight SQL) and copied for every run. */
export async function seedLargeTemplate(args: Args, temps: Set<string>): Promise<LargeTemplate> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-token-bench-template-'));
  temps.add(dir);
  const file = join(dir, 'portico.db');
  log(`\nseeding the template database: ${args.large.toLocaleString('en-US')} applications (straight SQL, bench/lib/seed.ts)`);
  const seeded = await seed(`sqlite:${file}`, args.large, log);
  log(`  seeded in ${f(seeded.seconds, 1)} s (${seeded.organizations.toLocaleString('en-US')} organizations)`);
  return { dir, file, seeded };
}

/** A wrong secret of the same length and alphabet. */
function wrongSecret(secret: string): string {
  const last = secret.at(-1) === 'A' ? 'B' : 'A';
  return `${secret.slice(0, -1)}${last}`;
}

/** Picks an M2M application from the middle of the seeded table (seed.ts mixes OAuth and M2M shapes). */
async function middleM2mApp(p: PorticoInstance, seeded: SeedResult): Promise<{ id: string; clientId: string; index: number }> {
  const sample = seeded.sample;
  const mid = Math.floor(sample.length / 2);
  for (let k = 0; k < sample.length; k++) {
    const candidate = sample[(mid + k) % sample.length]!;
    const app = await api<{ application_type: string; scopes?: string[] }>(p, 'GET', `/connect/applications/${candidate.id}`);
    if (app.application_type === 'm2m' && (app.scopes ?? []).includes(SCOPE)) return { id: candidate.id, clientId: candidate.clientId, index: candidate.index };
  }
  throw new Error('no M2M application with scope read in the seeded sample');
}

async function countAuditFailures(url: string): Promise<{ auditEvents: number; failureWindows: number }> {
  const db = openKysely(url);
  try {
    const a = await db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('event', '=', 'oauth.client_authentication_failed')
      .executeTakeFirstOrThrow();
    const w = await db.selectFrom('auth_failures').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return { auditEvents: Number(a.n), failureWindows: Number(w.n) };
  } finally {
    await db.destroy();
  }
}

function profileDirFor(env: Env, ctx: RunContext, target: string): string | null {
  return env.profileRoot === null ? null : join(env.profileRoot, `${ctx.alg}-${target}-r${ctx.round}`);
}

/** A Portico instance on a database of its own in a temp dir, stopped and removed afterwards. */
async function porticoTarget(
  env: Env,
  ctx: RunContext,
  tag: string,
  prepareDb: (dir: string) => string,
  extraEnv: Record<string, string>,
  run: (p: PorticoInstance) => Promise<Row[]>,
  layout: Layout = env.args.layout,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `portico-token-bench-${tag}-`));
  env.temps.add(dir);
  const url = prepareDb(dir);
  const profileDir = profileDirFor(env, ctx, tag);
  const rows: Row[] = [];
  try {
    let instance: PorticoInstance | null = null;
    await withServer(
      async () => {
        instance = await startPortico(layout, ctx.alg, url, profileDir, extraEnv);
        return { server: instance.server, profileDir };
      },
      async () => {
        rows.push(...(await run(instance!)));
      },
      env.cleanups,
      () => rows,
    );
  } finally {
    dropTemp(dir, env.temps);
  }
}

const sqliteIn = (dir: string) => `sqlite:${join(dir, 'portico.db')}`;

/** measure(), with the workload's own verdict added to the run's failures. */
async function measured(env: Env, ctx: RunContext, target: Target, live: Live, workload: Workload, opts: MeasureOptions): Promise<Row> {
  const row = await measure(ctx, target, live, workload, opts);
  for (const failure of row.failures) env.extras.failures.push(`${ctx.alg} r${ctx.round} ${target}: ${failure}`);
  return row;
}

/**
 * A user-token target: a first-party confidential application, codes and
 * refresh tokens made through the real flow (flow.ts).
 */
async function userTokenTarget(env: Env, ctx: RunContext, target: 'portico-code-exchange' | 'portico-refresh'): Promise<void> {
  // Every code is made through /oauth2/authorize from this one address: far more than the per-address
  // limit of issue #7 (PORTICO_AUTHORIZE_RATE_LIMIT, 30 a minute by default) lets through.
  await porticoTarget(env, ctx, target, sqliteIn, { PORTICO_AUTHORIZE_RATE_LIMIT: AUTHORIZE_RATE_LIMIT_MAX }, async (p) => {
    const app = await seedFirstPartyApp(p, REDIRECT_URI);
    const live = porticoLive(p, app.clientId, app.secret);
    const factory = new CodeFactory({ baseUrl: p.server.baseUrl, issuer: live.issuer, apiKey: p.apiKey, clientId: app.clientId, redirectUri: REDIRECT_URI });
    const connections = env.args.connections;
    const workload =
      target === 'portico-code-exchange' ? codeExchangeWorkload(live, factory, connections, REDIRECT_URI) : refreshWorkload(live, factory, connections, REDIRECT_URI);
    return [await measured(env, ctx, target, live, workload, { applications: 1, secrets: 1, layout: env.args.layout, connections, note: 'first-party OAuth app, scope "openid offline_access"' })];
  });
}

/** client_credentials against Portico (a fresh database, one M2M application, one secret) in `layout` at `connections`. */
async function porticoClientCredentials(env: Env, ctx: RunContext, target: Target, layout: Layout, connections: number): Promise<void> {
  await porticoTarget(
    env,
    ctx,
    target,
    sqliteIn,
    {},
    async (p) => {
      const client = await seedClient(p, 1);
      const live = porticoLive(p, client.clientId, client.secrets[0]!);
      return [await measured(env, ctx, target, live, clientCredentialsWorkload(live, connections, { expectStatus: 200 }), { applications: 1, secrets: 1, layout, connections })];
    },
    layout,
  );
}

/** client_credentials against a peer server in `layout` at `connections`. */
async function peerClientCredentials(env: Env, ctx: RunContext, target: Target, kind: 'oidc-provider' | 'ceiling', layout: Layout, connections: number): Promise<void> {
  let live: Live | null = null;
  const profileDir = profileDirFor(env, ctx, target);
  const rows: Row[] = [];
  await withServer(
    async () => {
      live = await startPeer(layout, ctx.alg, kind, profileDir);
      return { server: live.server, profileDir };
    },
    async () => {
      rows.push(await measured(env, ctx, target, live!, clientCredentialsWorkload(live!, connections, { expectStatus: 200 }), { applications: 1, secrets: 1, layout, connections }));
    },
    env.cleanups,
    () => rows,
  );
}

export async function runRound(env: Env, ctx: RunContext): Promise<void> {
  const { only, connections, fewConnections, layout } = env.args;
  const failed = (target: string) => (err: unknown) => {
    const message = errorMessage(err);
    log(`  ${target} FAILED: ${message}`);
    env.extras.failures.push(`${ctx.alg} r${ctx.round} ${target}: ${message}`);
  };
  const other = otherLayout(layout);

  if (only.has('portico')) await porticoClientCredentials(env, ctx, 'portico', layout, connections).catch(failed('portico'));
  if (only.has('code-exchange')) await userTokenTarget(env, ctx, 'portico-code-exchange').catch(failed('portico-code-exchange'));
  if (only.has('refresh')) await userTokenTarget(env, ctx, 'portico-refresh').catch(failed('portico-refresh'));
  // oidc-provider signs on the event loop (jose): its best layout is one process per core.
  if (only.has('oidc-provider')) await peerClientCredentials(env, ctx, 'oidc-provider', 'oidc-provider', layoutOf('sync'), connections).catch(failed('oidc-provider'));
  if (only.has('ceiling')) await peerClientCredentials(env, ctx, 'ceiling', 'ceiling', layout, connections).catch(failed('ceiling'));
  if (only.has('layouts')) {
    log(`  the other layout: ${layoutText(other)}`);
    await porticoClientCredentials(env, ctx, 'portico-other-layout', other, connections).catch(failed('portico-other-layout'));
    await peerClientCredentials(env, ctx, 'ceiling-other-layout', 'ceiling', other, connections).catch(failed('ceiling-other-layout'));
  }
  if (only.has('c10')) {
    await porticoClientCredentials(env, ctx, 'portico-c10', layout, fewConnections).catch(failed('portico-c10'));
    await peerClientCredentials(env, ctx, 'ceiling-c10', 'ceiling', layout, fewConnections).catch(failed('ceiling-c10'));
  }

  const large = env.large;
  if (only.has('large') && large !== null) {
    await porticoTarget(
      env,
      ctx,
      'portico-large',
      (dir) => {
        const t0 = performance.now();
        copyFileSync(large.file, join(dir, 'portico.db'));
        if (existsSync(`${large.file}-wal`)) copyFileSync(`${large.file}-wal`, join(dir, 'portico.db-wal'));
        log(`  copied the ${large.seeded.applications.toLocaleString('en-US')}-application database in ${f((performance.now() - t0) / 1000, 1)} s`);
        return sqliteIn(dir);
      },
      {},
      async (p) => {
        const app = await middleM2mApp(p, large.seeded);
        const { secret } = await api<{ secret: string }>(p, 'POST', `/connect/applications/${app.id}/client_secrets`);
        const live = porticoLive(p, app.clientId, secret);
        return [
          await measured(env, ctx, 'portico-large', live, clientCredentialsWorkload(live, connections, { expectStatus: 200 }), {
            applications: large.seeded.applications,
            secrets: 1,
            layout: env.args.layout,
            connections,
            note: `client = seeded application #${app.index.toLocaleString('en-US')} of ${large.seeded.applications.toLocaleString('en-US')}`,
          }),
        ];
      },
    ).catch(failed('portico-large'));
  }

  if (only.has('wrong-secret')) {
    await porticoTarget(env, ctx, 'portico-5-secrets', sqliteIn, { PORTICO_AUTH_FAILURE_LIMIT: AUTH_FAILURE_LIMIT_MAX }, async (p) => {
      const client = await seedClient(p, 5);
      const live = porticoLive(p, client.clientId, client.secrets[0]!);
      const right = await measured(env, ctx, 'portico-5-secrets-right', live, clientCredentialsWorkload(live, connections, { expectStatus: 200 }), {
        applications: 1,
        secrets: 5,
        layout: env.args.layout,
        connections,
        note: 'oldest of the five secrets',
      });
      const wrongWorkload = clientCredentialsWorkload(live, connections, { expectStatus: 401, secret: wrongSecret(client.secrets[0]!) });
      const wrong = await measured(env, ctx, 'portico-5-secrets-wrong', live, wrongWorkload, {
        applications: 1,
        secrets: 5,
        layout: env.args.layout,
        connections,
        note: `wrong secret (same length); PORTICO_AUTH_FAILURE_LIMIT=${AUTH_FAILURE_LIMIT_MAX}`,
      });
      const statusOk = Object.keys(wrong.statusCounts).every((s) => s === '401');
      if (!statusOk) log(`    ! wrong-secret run saw statuses ${JSON.stringify(wrong.statusCounts)}`);
      // Evidence for the report: what each rejected request left behind in the database.
      const writes = await countAuditFailures(p.databaseUrl);
      const sent = wrong.warmupResponses + wrong.responses;
      const perAlg = (env.extras.wrongSecretWrites ??= {}) as Record<string, unknown>;
      perAlg[`${ctx.alg} r${ctx.round}`] = { rejectedResponses: sent, auditEvents: writes.auditEvents, authFailureRows: writes.failureWindows };
      log(`    wrong-secret writes: ${writes.auditEvents} audit events for ${sent} rejected requests (warm-up + measured); ${writes.failureWindows} auth_failures rows`);
      return [right, wrong];
    }).catch(failed('wrong-secret'));
  }
}
