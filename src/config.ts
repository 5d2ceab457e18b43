import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { canonicalResource } from './domain/resource.ts';
import { SIGNING_ALGS, type SigningAlg } from './domain/signing-key.ts';

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
  readonly signingAlg: SigningAlg;
  /** Seconds. */
  readonly m2mTokenTtl: number;
  /** Seconds a new signing key is published before it signs. */
  readonly keyPublishDelay: number;
  /** Seconds clients may cache the JWKS. */
  readonly jwksMaxAge: number;
  /** Canonical RFC 8707 resource indicators tokens may be issued for. */
  readonly resources: readonly string[];
  /** `aud` of tokens issued without a resource; null = generated once and stored. */
  readonly clientId: string | null;
  readonly workers: number;
  /** Failed client authentications per client_id per minute before 429 (5x that per source address). */
  readonly authFailureLimit: number;
  /** The company's login page (Standalone Connect); null serves the development login. */
  readonly loginUrl: string | null;
  /** Seconds: user access tokens, ID tokens, refresh tokens, refresh reuse grace. */
  readonly accessTokenTtl: number;
  readonly idTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly refreshGraceSeconds: number;
  /**
   * The built-in development login: on only without PORTICO_LOGIN_URL, for a
   * loopback issuer, or when PORTICO_DEV_LOGIN=on asks for it (`forced`, warned about at start).
   */
  readonly devLogin: { readonly enabled: boolean; readonly forced: boolean };
  /** Fastify `trustProxy`: false, a hop count, or trusted addresses/CIDRs. */
  readonly trustProxy: false | number | readonly string[];
  /** New authorizations (and device authorizations) per minute per client address; a client_id may start 20 times as many. */
  readonly authorizeRateLimit: number;
  /** Wrong user codes per minute from one address on `/device` before it answers 429 (RFC 8628 §5.1). */
  readonly userCodeFailureLimit: number;
  /** Seconds a request's head and body may take to arrive before 408 and close. */
  readonly requestTimeoutSeconds: number;
  /** Open connections per process; past it new connections are closed at once. */
  readonly maxConnections: number;
  /** Where `/metrics` is served: the public port, a separate listener, or nowhere. */
  readonly metrics: { readonly port: number | null; readonly host: string; readonly token: string | null };
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

function seconds(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(name, `must be a whole number of seconds between ${min} and ${max}`, raw);
  return Number(raw);
}

/** True for http(s) URLs whose host is loopback: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl(raw: string): boolean {
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '[::1]';
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An IP address or CIDR block (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
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
    description: '`production` turns off development conveniences (the built-in development login page unless `PORTICO_DEV_LOGIN=on`, http login URLs).',
    defaultText: 'unset',
    parse(raw) {
      return raw === 'production';
    },
  } satisfies Setting<'production'>,
  {
    key: 'signingAlg',
    env: ['PORTICO_SIGNING_ALG'],
    description: 'Algorithm of new signing keys: `RS256` (what WorkOS issues), `ES256` or `EdDSA` (Ed25519). Changing it adds a key of the new kind, published before it signs.',
    defaultText: '`RS256`',
    parse(raw) {
      if (raw === undefined) return 'RS256';
      const alg = SIGNING_ALGS.find((a) => a === raw);
      if (!alg) fail('PORTICO_SIGNING_ALG', `must be one of ${SIGNING_ALGS.join(', ')}`, raw);
      return alg;
    },
  } satisfies Setting<'signingAlg'>,
  {
    key: 'm2mTokenTtl',
    env: ['PORTICO_M2M_TOKEN_TTL'],
    description: 'Lifetime in seconds of `client_credentials` access tokens (`expires_in`, and `exp - iat` in the JWT). 60 to 86400.',
    defaultText: '`3600`',
    parse: (raw) => seconds('PORTICO_M2M_TOKEN_TTL', raw, 3600, 60, 86_400),
  } satisfies Setting<'m2mTokenTtl'>,
  {
    key: 'jwksMaxAge',
    env: ['PORTICO_JWKS_MAX_AGE'],
    description: '`Cache-Control: max-age` of `/oauth2/jwks`, in seconds.',
    defaultText: '`300`',
    parse: (raw) => seconds('PORTICO_JWKS_MAX_AGE', raw, 300, 0, 86_400),
  } satisfies Setting<'jwksMaxAge'>,
  {
    key: 'keyPublishDelay',
    env: ['PORTICO_KEY_PUBLISH_DELAY'],
    description: 'Seconds between `portico keys rotate` publishing a new key in the JWKS and that key signing tokens. Keep it above the JWKS max-age so verifiers have the key before they meet it.',
    defaultText: '`600`',
    parse: (raw) => seconds('PORTICO_KEY_PUBLISH_DELAY', raw, 600, 1, 7 * 86_400),
  } satisfies Setting<'keyPublishDelay'>,
  {
    key: 'resources',
    env: ['PORTICO_RESOURCES'],
    description: 'Comma-separated RFC 8707 resource indicators (absolute URIs) a token may be requested for with `resource`; the token `aud` is then that resource. Anything else is `invalid_target`.',
    defaultText: 'none',
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return [];
      return raw.split(',').map((r) => {
        const c = canonicalResource(r.trim());
        if (c === null) fail('PORTICO_RESOURCES', 'must hold absolute http(s) URIs without fragment', r.trim());
        return c;
      });
    },
  } satisfies Setting<'resources'>,
  {
    key: 'clientId',
    env: ['PORTICO_CLIENT_ID'],
    description: "The environment's client ID: the `aud` of access tokens requested without a `resource`. Generated once and stored in the database when unset.",
    defaultText: 'generated',
    parse(raw) {
      if (raw === undefined || raw === '') return null;
      if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(raw)) fail('PORTICO_CLIENT_ID', 'must be 1-200 characters of [A-Za-z0-9_.:-]', raw);
      return raw;
    },
  } satisfies Setting<'clientId'>,
  {
    key: 'workers',
    env: ['PORTICO_WORKERS'],
    description: 'Server processes sharing the port (node:cluster). One per core by default; `1` runs a single process.',
    defaultText: 'number of cores',
    parse(raw) {
      if (raw === undefined) return availableParallelism();
      if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 256) fail('PORTICO_WORKERS', 'must be an integer between 1 and 256', raw);
      return Number(raw);
    },
  } satisfies Setting<'workers'>,
  {
    key: 'authFailureLimit',
    env: ['PORTICO_AUTH_FAILURE_LIMIT'],
    description: 'Failed client authentications allowed per `client_id` per minute before further attempts get `429` with `Retry-After`; a source address may fail five times as often. Counted in the database, so shared by every node.',
    defaultText: '`20`',
    parse(raw) {
      if (raw === undefined) return 20;
      if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) fail('PORTICO_AUTH_FAILURE_LIMIT', 'must be an integer between 1 and 999999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'authFailureLimit'>,
  {
    key: 'loginUrl',
    env: ['PORTICO_LOGIN_URL'],
    description:
      "The company's login page (Standalone Connect). `/oauth2/authorize` sends the browser there with `external_auth_id`; the company authenticates the user and calls `POST /authkit/oauth2/complete`. Unset: only a loopback issuer gets the development login (see `PORTICO_DEV_LOGIN`); any other issuer serves M2M only.",
    defaultText: 'unset (development login)',
    parse(raw, env) {
      if (raw === undefined || raw === '') {
        return null;
      }
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        fail('PORTICO_LOGIN_URL', 'must be an absolute http(s) URL', raw);
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && env.NODE_ENV !== 'production')) fail('PORTICO_LOGIN_URL', 'must use https (http only outside production)', raw);
      if (url.hash) fail('PORTICO_LOGIN_URL', 'must not contain a fragment', raw);
      return raw;
    },
  } satisfies Setting<'loginUrl'>,
  {
    key: 'accessTokenTtl',
    env: ['PORTICO_ACCESS_TOKEN_TTL'],
    description: 'Lifetime in seconds of access tokens issued to users (authorization code and refresh grants). WorkOS issues 300.',
    defaultText: '`300`',
    parse: (raw) => seconds('PORTICO_ACCESS_TOKEN_TTL', raw, 300, 30, 86_400),
  } satisfies Setting<'accessTokenTtl'>,
  {
    key: 'idTokenTtl',
    env: ['PORTICO_ID_TOKEN_TTL'],
    description: 'Lifetime in seconds of ID tokens.',
    defaultText: '`3600`',
    parse: (raw) => seconds('PORTICO_ID_TOKEN_TTL', raw, 3600, 60, 86_400),
  } satisfies Setting<'idTokenTtl'>,
  {
    key: 'refreshTokenTtl',
    env: ['PORTICO_REFRESH_TOKEN_TTL'],
    description: 'Lifetime in seconds of a refresh token. Every use rotates it: the successor gets a fresh lifetime.',
    defaultText: '`2592000` (30 days)',
    parse: (raw) => seconds('PORTICO_REFRESH_TOKEN_TTL', raw, 2_592_000, 60, 31_536_000),
  } satisfies Setting<'refreshTokenTtl'>,
  {
    key: 'refreshGraceSeconds',
    env: ['PORTICO_REFRESH_GRACE_SECONDS'],
    description:
      'Reuse grace for rotated refresh tokens: within this many seconds the immediately previous token returns the same successor (for clients whose network dropped the answer). `0` (default) treats any reuse as theft and revokes the whole family.',
    defaultText: '`0`',
    parse: (raw) => seconds('PORTICO_REFRESH_GRACE_SECONDS', raw, 0, 0, 300),
  } satisfies Setting<'refreshGraceSeconds'>,
  {
    key: 'devLogin',
    env: ['PORTICO_DEV_LOGIN'],
    description:
      'The built-in development login page (`/dev/login`, which trusts whatever email is typed). `auto` turns it on only when `PORTICO_LOGIN_URL` is unset, the issuer is a loopback URL (`localhost`, `127.0.0.1`, `[::1]`) and `NODE_ENV` is not `production`; `on` forces it on (a warning is printed at start; refused together with `PORTICO_LOGIN_URL`); `off` turns it off. Without a login page and without the development login, Portico serves M2M only and `/oauth2/authorize` answers a "sign-in is not configured" page.',
    defaultText: '`auto`',
    parse(raw, _env, partial) {
      const mode = raw === undefined || raw === '' ? 'auto' : raw;
      if (mode !== 'auto' && mode !== 'on' && mode !== 'off') fail('PORTICO_DEV_LOGIN', 'must be auto, on or off', mode);
      if (mode === 'on' && partial.loginUrl != null) throw new ConfigError('PORTICO_DEV_LOGIN=on cannot be combined with PORTICO_LOGIN_URL (anyone could bypass the company login)');
      if (mode === 'off') return { enabled: false, forced: false };
      if (mode === 'on') return { enabled: true, forced: true };
      return { enabled: partial.loginUrl == null && !partial.production && isLoopbackUrl(partial.issuer ?? ''), forced: false };
    },
  } satisfies Setting<'devLogin'>,
  {
    key: 'trustProxy',
    env: ['PORTICO_TRUST_PROXY'],
    description:
      'Reverse proxies whose `X-Forwarded-For` is believed, so per-address rate limits and audit events see the real client address. Unset: none (the connecting address is the client). A number `N`: trust the last N hops. Otherwise a comma-separated list of proxy addresses or CIDR blocks (`10.0.0.0/8,fd00::/8`), or `loopback`, `linklocal`, `uniquelocal`. Behind a proxy, without this every client has the proxy\'s address.',
    defaultText: 'unset (no proxy)',
    parse(raw) {
      if (raw === undefined || raw === '' || raw === 'off') return false;
      if (/^\d{1,2}$/.test(raw)) {
        if (Number(raw) < 1) return false;
        return Number(raw);
      }
      const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
      for (const e of entries) {
        if (!PROXY_NAMES.includes(e) && !isAddressOrCidr(e)) fail('PORTICO_TRUST_PROXY', 'must be a hop count or a comma-separated list of addresses/CIDRs (loopback, linklocal, uniquelocal allowed)', e);
      }
      return entries;
    },
  } satisfies Setting<'trustProxy'>,
  {
    key: 'authorizeRateLimit',
    env: ['PORTICO_AUTHORIZE_RATE_LIMIT'],
    description:
      'New authorizations (`/oauth2/authorize` requests that start a sign-in, codes entered on `/device`) and, counted apart, new device authorizations (`/oauth2/device_authorization`) allowed per minute from one client address (IPv6: per /64); one `client_id` may start 20 times as many from all addresses together. Past either limit the browser gets a 429 page, and a device `429 slow_down`, with `Retry-After`. Counted in the database, so shared by every node. Bounds the rows unauthenticated callers can create.',
    defaultText: '`30`',
    parse(raw) {
      if (raw === undefined) return 30;
      if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) fail('PORTICO_AUTHORIZE_RATE_LIMIT', 'must be an integer between 1 and 999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'authorizeRateLimit'>,
  {
    key: 'userCodeFailureLimit',
    env: ['PORTICO_USER_CODE_FAILURE_LIMIT'],
    description:
      'Wrong user codes (device sign-in, `/device`) allowed per minute from one client address (IPv6: per /64). User codes are short by design (RFC 8628 §5.1), so past the limit every code from that address is refused with a 429 page and `Retry-After` until the minute is over. Counted in the database, so shared by every node.',
    defaultText: '`10`',
    parse(raw) {
      if (raw === undefined) return 10;
      if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) fail('PORTICO_USER_CODE_FAILURE_LIMIT', 'must be an integer between 1 and 999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'userCodeFailureLimit'>,
  {
    key: 'requestTimeoutSeconds',
    env: ['PORTICO_REQUEST_TIMEOUT_SECONDS'],
    description:
      'Seconds a request may take to arrive completely (headers and body). A client still sending after that gets `408` and the connection is closed, so slow or stalled clients cannot hold sockets. Idle keep-alive connections close after 72 s, incomplete headers after at most 60 s.',
    defaultText: '`30`',
    parse: (raw) => seconds('PORTICO_REQUEST_TIMEOUT_SECONDS', raw, 30, 1, 600),
  } satisfies Setting<'requestTimeoutSeconds'>,
  {
    key: 'maxConnections',
    env: ['PORTICO_MAX_CONNECTIONS'],
    description:
      'Open TCP connections per server process (each worker has its own). Past it, new connections are closed as soon as they are accepted while the established ones keep being served, so held sockets cannot exhaust file descriptors.',
    defaultText: '`10000`',
    parse(raw) {
      if (raw === undefined) return 10_000;
      if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1) fail('PORTICO_MAX_CONNECTIONS', 'must be an integer between 1 and 9999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'maxConnections'>,
  {
    key: 'metrics',
    env: ['PORTICO_METRICS_PORT'],
    description:
      'Prometheus `/metrics`. With `PORTICO_METRICS_PORT` set it is served only on that port, bound to `PORTICO_METRICS_HOST` (default `127.0.0.1`): **use this in production** (scrape from the machine or a private network). With `PORTICO_METRICS_TOKEN` (at least 16 characters) it requires `Authorization: Bearer <token>` wherever it is served. Without either, it is served unauthenticated on the public port only when the issuer is a loopback URL (development); otherwise it is not served at all.',
    defaultText: 'public port for a loopback issuer, else off',
    parse(raw, env) {
      let port: number | null = null;
      if (raw !== undefined && raw !== '') {
        if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) fail('PORTICO_METRICS_PORT', 'must be an integer between 1 and 65535', raw);
        port = Number(raw);
      }
      const host = env.PORTICO_METRICS_HOST ?? '127.0.0.1';
      if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(host)) fail('PORTICO_METRICS_HOST', 'must be a host name or IP address', host);
      const token = env.PORTICO_METRICS_TOKEN === undefined || env.PORTICO_METRICS_TOKEN === '' ? null : env.PORTICO_METRICS_TOKEN;
      if (token !== null && !/^[\x21-\x7e]{16,512}$/.test(token)) fail('PORTICO_METRICS_TOKEN', 'must be 16-512 printable characters without spaces', '<redacted>');
      return { port, host, token };
    },
  } satisfies Setting<'metrics'>,
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
