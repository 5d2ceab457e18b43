import { createApp } from './app.ts';
import { ensureAdminApiKey, openRuntime } from './bootstrap.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { systemClock } from './domain/clock.ts';

/** Process entry: loadConfig() -> openStorage() -> createApp() -> listen. */
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

  const rt = await openRuntime(config);
  const adminKey = await ensureAdminApiKey(rt);
  const app = await createApp({ config, storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids });

  const shutdown = async () => {
    await app.close();
    await rt.storage.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());

  await app.listen({ port: config.port, host: config.host });
  if (rt.generatedKeyPath) app.log.info({ path: rt.generatedKeyPath }, 'generated the server key (keep it safe; losing it invalidates every secret)');
  if (adminKey) {
    // Deliberately on stdout, not in the log: this is the one time the key is shown.
    process.stdout.write(
      [
        '',
        '  Portico created an admin API key. It is shown only this once:',
        '',
        `    ${adminKey}`,
        '',
        '  Use it as "Authorization: Bearer <key>" on the management API.',
        '  More keys: npm run portico -- api-keys create --name <name>',
        '',
      ].join('\n') + '\n',
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`portico: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
