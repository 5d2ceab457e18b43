import { openRuntime } from '../bootstrap.ts';
import { ConfigError, loadConfig, renderConfigDoc, type Config } from '../config.ts';
import { systemClock } from '../domain/clock.ts';
import { CLI_CONTEXT } from '../domain/audit.ts';
import { keyStates } from '../domain/signing-key.ts';
import { createApiKey, revokeApiKey } from '../management/api-keys.ts';
import { retentionMs, rotateSigningKey } from '../oauth/keys/rotation.ts';
import { isPorticoError } from '../domain/errors.ts';
import { CliUsageError as UsageError, flag } from './args.ts';
import { TryLoginError, tryLogin } from './try-login.ts';
import { DashboardCommandError, dashboardCommand } from './dashboard.ts';
import { secretsCommand, webhooksCommand } from './webhooks.ts';

const USAGE = `Usage: portico <command>

  serve                         run the server (what npm start does)
  migrate                       apply database migrations and exit
  api-keys create [--name N] [--quiet]
                                create a management API key (printed once; --quiet prints the key alone)
  api-keys list                 list live API keys (no secrets)
  api-keys revoke <id>          revoke an API key at once
  keys list                     signing keys and their state
  keys rotate                   add a signing key: published now, signing after PORTICO_KEY_PUBLISH_DELAY
  dashboard set-password        set the dashboard password (read from the terminal, or the first line
                                of stdin; only an scrypt hash is stored)
  dashboard clear-password      remove it: only API keys sign in to the dashboard
  secrets list --application ID | --expiring
                                client secrets of an application, or every secret expiring within
                                PORTICO_SECRET_EXPIRY_WARNING_DAYS (and the expired ones)
  webhooks list                 webhook endpoints (secrets masked)
  webhooks create --url U --events a,b
                                add an endpoint; prints its signing secret once
  webhooks delete <id>          delete an endpoint and its pending deliveries
  webhooks deliveries <id> [--status S] [--limit N] [--attempts <event-id>]
                                deliveries of an endpoint: status, attempts, last answer, next attempt
  webhooks retry <id> <event-id>
                                send a delivery again now, with a fresh retry window
  try-login [--url U] [--api-key K] [--port P]
                                sign in through your browser with a demo app of the running server
                                (default URL: the issuer, http://localhost:8080); prints the decoded tokens
  docs-config                   print docs/configuration.md

The database and server key come from the environment (see docs/configuration.md). try-login uses
--api-key or PORTICO_API_KEY, else a temporary key it creates in that database and revokes again.`;


async function run(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'docs-config') {
    process.stdout.write(renderConfigDoc());
    return 0;
  }
  if (command === 'serve') {
    await import('../main.ts');
    return -1; // the server keeps the process alive
  }
  const config = loadConfig();
  if (command === 'try-login') {
    const args = argv.slice(1);
    const unknown = args.filter((a) => a.startsWith('--') && !['--url', '--api-key', '--port'].includes(a));
    if (unknown.length > 0) throw new UsageError(`unknown try-login option: ${unknown[0]}`);
    const port = flag(args, '--port') ?? '0';
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError('--port needs a port number (0-65535)');
    await tryLogin(config, { url: flag(args, '--url') ?? null, apiKey: flag(args, '--api-key') ?? null, port: Number(port) });
    return 0;
  }
  if (command === 'migrate') {
    const rt = await openRuntime(config);
    await rt.storage.close();
    console.log('migrations applied');
    return 0;
  }
  if (command === 'keys') return keysCommand(config, sub);
  if (command === 'dashboard') return dashboardCommand(config, sub);
  if (command === 'webhooks' || command === 'secrets') {
    const rt = await openRuntime(config);
    try {
      return await (command === 'webhooks' ? webhooksCommand : secretsCommand)(rt, config, sub, rest);
    } finally {
      await rt.storage.close();
    }
  }
  if (command !== 'api-keys') throw new UsageError(`unknown command: ${command}`);
  const rt = await openRuntime(config);
  try {
    switch (sub) {
      case 'create': {
        const name = flag(rest, '--name') ?? 'cli';
        const { key, plaintext } = await createApiKey({ storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids }, name, CLI_CONTEXT);
        // --quiet: the key alone, for KEY=$(portico api-keys create --quiet).
        if (rest.includes('--quiet')) console.log(plaintext);
        else console.log(`Created API key ${key.id} (${key.name}). It is shown only this once:\n\n  ${plaintext}\n`);
        return 0;
      }
      case 'list': {
        const keys = await rt.storage.apiKeys.list(systemClock.now());
        if (keys.length === 0) console.log('no live API keys');
        for (const k of keys) {
          console.log(`${k.id}  ${k.name}  sk_…${k.hint}  created ${k.createdAt.toISOString()}${k.expiresAt === null ? '' : `  expires ${k.expiresAt.toISOString()}`}`);
        }
        return 0;
      }
      case 'revoke': {
        const id = rest[0];
        if (id === undefined) throw new UsageError('api-keys revoke needs an API key ID (see api-keys list)');
        if (!(await revokeApiKey({ storage: rt.storage, clock: systemClock, ids: rt.ids }, id, CLI_CONTEXT))) {
          console.error(`no live API key ${id}`);
          return 1;
        }
        console.log(`revoked ${id}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown api-keys command: ${sub ?? '(none)'}`);
    }
  } finally {
    await rt.storage.close();
  }
}

async function keysCommand(config: Config, sub: string | undefined): Promise<number> {
  const rt = await openRuntime(config);
  const deps = { storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids, config };
  try {
    if (sub === 'rotate') {
      const key = await rotateSigningKey(deps, CLI_CONTEXT);
      console.log(`Added signing key ${key.kid} (${key.alg}): published now, signs from ${key.activeFrom.toISOString()}.`);
      return 0;
    }
    if (sub === 'list') {
      for (const k of keyStates(await rt.storage.signingKeys.list(), systemClock.now(), retentionMs(config))) {
        const state = k.state === 'published' ? 'published (retiring)' : k.state;
        console.log(`${k.kid}  ${k.alg}  ${state}  active from ${k.activeFrom.toISOString()}`);
      }
      return 0;
    }
    throw new UsageError(`unknown keys command: ${sub ?? '(none)'}`);
  } finally {
    await rt.storage.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof TryLoginError) {
      console.error(`portico: try-login: ${err.message}`);
      process.exitCode = 1;
    } else if (err instanceof DashboardCommandError) {
      console.error(`portico: dashboard: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof UsageError) {
      console.error(`portico: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (isPorticoError(err) && (err.kind === 'validation' || err.kind === 'unprocessable' || err.kind === 'conflict' || err.kind === 'not_found')) {
      // The management API's own refusals (issue #13: webhooks create/delete share its service).
      const fields = err.kind === 'validation' ? err.errors.map((e) => `\n  ${e.field}: ${e.message ?? e.code}`).join('') : '';
      console.error(`portico: ${err.message}${fields}`);
      process.exitCode = 1;
    } else if (err instanceof ConfigError) {
      console.error(`portico: invalid configuration: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(`portico: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  },
);
