import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ensureAdminApiKey, openRuntime, prepareServer, type Runtime } from './bootstrap.ts';
import { superviseWorkers } from './cluster.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { signingThreads } from './config/server.ts';
import { startupFailure } from './startup-errors.ts';

function printAdminKey(key: string): void {
  // Deliberately on stdout, not in the log: this is the one time the key is shown.
  process.stdout.write(
    [
      '',
      '  Portico created an admin API key. It is shown only this once:',
      '',
      `    ${key}`,
      '',
      '  Use it as "Authorization: Bearer <key>" on the management API.',
      '  More keys: npm run portico -- api-keys create --name <name>',
      '',
    ].join('\n') + '\n',
  );
}

/** One-time work (migrations, signing key) before any process serves. */
async function prepare(config: Config): Promise<void> {
  const rt = await openRuntime(config);
  try {
    if (rt.generatedKeyPath) process.stdout.write(`portico: generated the server key at ${rt.generatedKeyPath} (keep it safe; losing it invalidates every secret)\n`);
    await prepareServer(rt);
  } finally {
    await rt.storage.close();
  }
}

/**
 * The first admin key is created only once the server listens, and printed at
 * once (issue #8): a first start that fails to bind creates nothing, so the
 * next successful start still creates and shows it.
 */
async function firstAdminKey(rt: Runtime): Promise<void> {
  const key = await ensureAdminApiKey(rt);
  if (key) printAdminKey(key);
}

/** One server process: loadConfig() -> openStorage() -> createApp() -> listen. */
async function serve(config: Config, afterListen: (rt: Runtime) => Promise<void>): Promise<void> {
  // Loaded here, not at the top: a cluster primary only supervises and need not hold the HTTP stack.
  const [{ createApp }, { environmentClientId }, { workerMetricsCollector }, { systemClock }, { startHousekeeping }, { Metrics, startMetricsListener }, { createKeyStore }, { WebhookWorker }, { configuredOutbound }, { systemRandom }] = await Promise.all([
    import('./app.ts'),
    import('./bootstrap.ts'),
    import('./cluster.ts'),
    import('./domain/clock.ts'),
    import('./housekeeping.ts'),
    import('./http/metrics.ts'),
    import('./oauth/keys/rotation.ts'),
    import('./webhooks/worker.ts'),
    import('./outbound/fetch.ts'),
    import('./domain/random.ts'),
  ]);
  const rt = await openRuntime(config);
  // The logger exists only with the app; until then a failed background refresh goes to stderr.
  let logRefreshError = (err: unknown): void => void process.stderr.write(`portico: signing keys could not be re-read: ${String(err)}\n`);
  const keys = createKeyStore({ ...rt, clock: systemClock }, (err) => logRefreshError(err));
  await keys.refresh();
  keys.start();
  const metrics = new Metrics();
  const collectMetrics = workerMetricsCollector(metrics);
  const app = await createApp({
    config,
    storage: rt.storage,
    keyring: rt.keyring,
    clock: systemClock,
    ids: rt.ids,
    keys,
    metrics,
    environmentClientId: await environmentClientId(rt),
    collectMetrics,
    workerId: cluster.worker?.id ?? 0,
  });
  logRefreshError = (err) => app.log.warn({ err }, 'signing keys could not be re-read; serving the cached set');
  const stopHousekeeping = startHousekeeping(rt.storage, systemClock, config, (err) => app.log.warn({ err }, 'housekeeping failed; the next round retries'));
  // Issue #13: every serving process delivers webhooks (claims keep processes and nodes from sending twice).
  const webhooks = config.webhookDelivery
    ? new WebhookWorker({ storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids, random: systemRandom, outbound: configuredOutbound(config.outbound), config, log: app.log })
    : null;
  let metricsServer: import('node:http').Server | null = null;
  const shutdown = async () => {
    stopHousekeeping();
    keys.stop();
    await webhooks?.stop();
    metricsServer?.close();
    await app.close();
    await rt.storage.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  await app.listen({ port: config.port, host: config.host });
  webhooks?.start();
  // After the public port: the supervisor announces "listening" on the first listen of a worker.
  if (config.metrics.port !== null) metricsServer = await startMetricsListener({ port: config.metrics.port, host: config.metrics.host, token: config.metrics.token }, collectMetrics);
  await afterListen(rt);
}

/**
 * Ends the process with one line a person can act on (issue #8). A worker
 * tells the primary instead (which says it once for all workers) and exits
 * as soon as the message is sent.
 */
function fail(err: unknown, config: Config | null): void {
  const line = startupFailure(err, config);
  if (cluster.isWorker && process.send) {
    process.send({ type: 'portico:startup-failed', line }, () => process.exit(1));
    setTimeout(() => process.exit(1), 1000).unref();
    return;
  }
  process.stderr.write(`portico: ${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portico: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Before anything touches libuv's threadpool (it reads the size once, when first used); workers
  // inherit it with the environment. An operator's own UV_THREADPOOL_SIZE wins.
  const threads = signingThreads(config.signing, config.workers, availableParallelism());
  if (cluster.isPrimary && threads !== null && process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(threads);
  try {
    if (cluster.isWorker) return await serve(config, async () => {});
    if (config.outbound.allowPrivateNetworks) {
    process.stderr.write('portico: WARNING: PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS=on: client-supplied URLs may reach loopback and private addresses, over http. Development and tests only.\n');
  }
  if (config.devLogin.forced) {
      process.stderr.write('portico: WARNING: PORTICO_DEV_LOGIN=on: /dev/login signs anyone in as any email they type. Never use it on a server others can reach.\n');
    }
    await prepare(config);
    if (config.workers <= 1) return await serve(config, firstAdminKey);
  } catch (err) {
    return fail(err, config);
  }
  const workers = superviseWorkers(config.workers, config.port, {
    onListening: async () => {
      process.stdout.write(`portico: ${config.workers} workers listening on ${config.host}:${config.port}\n`);
      const rt = await openRuntime(config);
      try {
        await firstAdminKey(rt);
      } finally {
        await rt.storage.close();
      }
    },
    // A worker that never listened is not re-forked: the next one would fail the same way.
    onStartupFailure: (line) => {
      process.stderr.write(`portico: ${line}\n`);
      void workers.stop().finally(() => process.exit(1));
    },
  });
  const stop = async () => {
    await workers.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => fail(err, null));
