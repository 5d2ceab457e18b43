/**
 * Portico's configuration: one schema of environment variables, parsed once at
 * start, frozen, and passed down. `docs/configuration.md` is generated from
 * the descriptions below (`npm run docs:config`).
 */

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly issuer: string;
  readonly apiKey: string | null;
  readonly secretKey: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly production: boolean;
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

interface Setting<K extends keyof Config> {
  readonly key: K;
  /** Environment variables read, first one set wins. */
  readonly env: readonly string[];
  readonly description: string;
  /** The default as documented. */
  readonly defaultText: string;
  parse(raw: string | undefined, env: Env, partial: Partial<Config>): Config[K];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function fail(name: string, what: string, raw: string): never {
  const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
  throw new ConfigError(`${name} ${what} (got "${shown}")`);
}

/** The schema, in the order settings are parsed (later ones may depend on earlier ones). */
export const SETTINGS = [
  {
    key: 'port',
    env: ['PORTICO_PORT', 'PORT'],
    description: 'TCP port to listen on. `0` picks a free port.',
    defaultText: '`8080`',
    parse(raw) {
      if (raw === undefined) return 8080;
      if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) fail('PORTICO_PORT', 'must be an integer between 0 and 65535', raw);
      return Number(raw);
    },
  } satisfies Setting<'port'>,
  {
    key: 'host',
    env: ['PORTICO_HOST'],
    description: 'Interface to bind. `localhost` keeps Portico private to this machine; use `0.0.0.0` (or `::`) in a container.',
    defaultText: '`localhost`',
    parse(raw) {
      if (raw === undefined) return 'localhost';
      if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(raw)) fail('PORTICO_HOST', 'must be a host name or IP address', raw);
      return raw;
    },
  } satisfies Setting<'host'>,
  {
    key: 'databaseUrl',
    env: ['PORTICO_DATABASE_URL'],
    description:
      '`sqlite:PATH` for the embedded database (one machine), or `postgres://user:pass@host:5432/db` for PostgreSQL 15+ (several nodes).',
    defaultText: '`sqlite:data/portico.db`',
    parse(raw) {
      if (raw === undefined) return 'sqlite:data/portico.db';
      if (/^sqlite:.+/.test(raw)) return raw;
      if (/^postgres(ql)?:\/\/.+/.test(raw)) {
        try {
          new URL(raw);
          return raw;
        } catch {
          fail('PORTICO_DATABASE_URL', 'is not a valid postgres:// URL', '<redacted>');
        }
      }
      fail('PORTICO_DATABASE_URL', 'must start with sqlite: or postgres://', raw.replace(/\/\/[^@]*@/, '//<redacted>@'));
    },
  } satisfies Setting<'databaseUrl'>,
  {
    key: 'issuer',
    env: ['PORTICO_ISSUER'],
    description: 'Public base URL of this server: the OAuth `iss` and the origin of every advertised endpoint. No trailing slash, query or fragment.',
    defaultText: '`http://localhost:<port>`',
    parse(raw, _env, partial) {
      if (raw === undefined) return `http://localhost:${partial.port === 0 ? 8080 : partial.port}`;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        fail('PORTICO_ISSUER', 'must be an absolute http(s) URL', raw);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('PORTICO_ISSUER', 'must use https (or http for local use)', raw);
      if (url.search || url.hash || raw.includes('?') || raw.includes('#')) fail('PORTICO_ISSUER', 'must not contain a query or fragment', raw);
      return raw.replace(/\/+$/, '');
    },
  } satisfies Setting<'issuer'>,
  {
    key: 'apiKey',
    env: ['PORTICO_API_KEY'],
    description: 'An API key accepted on the management API besides the stored ones (`portico api-keys`), for scripted set-ups. Must start with `sk_` and hold at least 32 characters.',
    defaultText: 'none',
    parse(raw) {
      if (raw === undefined || raw === '') return null;
      if (!/^sk_[A-Za-z0-9_-]{29,200}$/.test(raw)) fail('PORTICO_API_KEY', 'must be sk_ followed by 29-200 characters of [A-Za-z0-9_-]', 'sk_<redacted>');
      return raw;
    },
  } satisfies Setting<'apiKey'>,
  {
    key: 'secretKey',
    env: ['PORTICO_SECRET_KEY'],
    description:
      'Server key (at least 32 characters) under which client secrets and API keys are digested and private signing keys encrypted. On SQLite it is generated into `secret.key` next to the database file when absent (mode 0600). Required with PostgreSQL, identical on every node. Losing it invalidates every secret.',
    defaultText: 'generated (SQLite); required (PostgreSQL)',
    parse(raw, _env, partial) {
      if (raw === undefined || raw === '') {
        if (partial.databaseUrl?.startsWith('postgres')) throw new ConfigError('PORTICO_SECRET_KEY is required with a PostgreSQL database (the same value on every node)');
        return null;
      }
      if (raw.length < 32) fail('PORTICO_SECRET_KEY', 'must hold at least 32 characters', '<redacted>');
      return raw;
    },
  } satisfies Setting<'secretKey'>,
  {
    key: 'logLevel',
    env: ['PORTICO_LOG_LEVEL'],
    description: `Log level: one of ${LOG_LEVELS.join(', ')}. Logs are JSON lines on stdout; secrets, tokens and Authorization headers are redacted.`,
    defaultText: '`info`',
    parse(raw) {
      if (raw === undefined) return 'info';
      const level = LOG_LEVELS.find((l) => l === raw);
      if (!level) fail('PORTICO_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`, raw);
      return level;
    },
  } satisfies Setting<'logLevel'>,
  {
    key: 'production',
    env: ['NODE_ENV'],
    description: '`production` turns off development conveniences (such as the built-in development login page).',
    defaultText: 'unset',
    parse(raw) {
      return raw === 'production';
    },
  } satisfies Setting<'production'>,
] as const;

/** Parses and validates the environment; throws ConfigError with one readable line. */
export function loadConfig(env: Env = process.env): Config {
  const partial: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const name = setting.env.find((n) => env[n] !== undefined);
    const raw = name === undefined ? undefined : env[name];
    partial[setting.key] = (setting.parse as (r: string | undefined, e: Env, p: Partial<Config>) => unknown)(raw, env, partial as Partial<Config>);
  }
  return Object.freeze(partial as unknown as Config);
}

/** Markdown for docs/configuration.md, generated from SETTINGS. */
export function renderConfigDoc(): string {
  const rows = SETTINGS.map((s) => `| ${s.env.map((e) => `\`${e}\``).join(' or ')} | ${s.defaultText} | ${s.description} |`);
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config.ts by `npm run docs:config`; edit the descriptions there. -->',
    '',
    'Portico reads its configuration from environment variables once, at start. An invalid value stops',
    'the process with exit code 2 and one line naming the variable.',
    '',
    '| Variable | Default | Meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
