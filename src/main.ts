import cluster from 'node:cluster';
import { ensureAdminApiKey, openRuntime, prepareServer } from './bootstrap.ts';
import { superviseWorkers } from './cluster.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

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

/** One-time work (migrations, first key, signing key) before any process serves. */
async function prepare(config: Config): Promise<string | null> {
  const rt = await openRuntime(config);
  try {
    if (rt.generatedKeyPath) process.stdout.write(`portico: generated the server key at ${rt.generatedKeyPath} (keep it safe; losing it invalidates every secret)\n`);
    const adminKey = await ensureAdminApiKey(rt);
    await prepareServer(rt);
    return adminKey;
  } finally {
    await rt.storage.close();
  }
}

/** One server process: loadConfig() -> openStorage() -> createApp() -> listen. */
async function serve(config: Config): Promise<void> {
  // Loaded here, not at the top: a cluster primary only supervises and need not hold the HTTP stack.
  const [{ createApp }, { environmentClientId }, { workerMetricsCollector }, { systemClock }, { startHousekeeping }, { Metrics }, { createKeyStore }] = await Promise.all([
    import('./app.ts'),
    import('./bootstrap.ts'),
    import('./cluster.ts'),
    import('./domain/clock.ts'),
    import('./housekeeping.ts'),
    import('./http/metrics.ts'),
    import('./oauth/keys/rotation.ts'),
  ]);
  const rt = await openRuntime(config);
  const keys = createKeyStore({ ...rt, clock: systemClock });
  await keys.refresh();
  keys.start();
  const metrics = new Metrics();
  const app = await createApp({
    config,
    storage: rt.storage,
    keyring: rt.keyring,
    clock: systemClock,
    ids: rt.ids,
    keys,
    metrics,
    environmentClientId: await environmentClientId(rt),
    collectMetrics: workerMetricsCollector(metrics),
  });
  const stopHousekeeping = startHousekeeping(rt.storage, systemClock);
  const shutdown = async () => {
    stopHousekeeping();
    keys.stop();
    await app.close();
    await rt.storage.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  await app.listen({ port: config.port, host: config.host });
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

  if (cluster.isWorker) return serve(config);
  if (config.devLogin.forced) {
    process.stderr.write('portico: WARNING: PORTICO_DEV_LOGIN=on: /dev/login signs anyone in as any email they type. Never use it on a server others can reach.\n');
  }
  const adminKey = await prepare(config);
  if (config.workers <= 1) {
    await serve(config);
    if (adminKey) printAdminKey(adminKey);
    return;
  }
  const workers = superviseWorkers(config.workers, () => {
    process.stdout.write(`portico: ${config.workers} workers listening on ${config.host}:${config.port}\n`);
    if (adminKey) printAdminKey(adminKey);
  });
  const stop = async () => {
    await workers.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`portico: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
