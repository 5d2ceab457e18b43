import { availableParallelism } from 'node:os';
import { ConfigError, fail, isAddressOrCidr, LOG_LEVELS, PROXY_NAMES, seconds, type Setting } from './schema.ts';

/**
 * Issue #12, measured with bench:token on 2 cores (README "Performance"): one process per core in both
 * modes. Asynchronous signing with one process per two cores left a core's worth of JavaScript unused
 * (ES256: 3,302 against 3,760 req/s with a process per core; the management API lost 19-34%), and it
 * was no faster for RS256; so the signing mode no longer changes the process count. Kept as a function
 * of the mode so the benchmark and the settings share one rule.
 */
export function defaultWorkers(_signing: 'async' | 'sync', cores: number): number {
  return Math.max(1, cores);
}

/**
 * UV_THREADPOOL_SIZE for the serving processes with PORTICO_SIGNING=async: the cores each process has
 * (cores / workers), and at least 2, so one slow signature never holds up the next. Null with sync
 * signing (libuv's default of 4 is left alone).
 */
export function signingThreads(signing: 'async' | 'sync', workers: number, cores: number): number | null {
  return signing === 'async' ? Math.max(2, Math.ceil(cores / workers)) : null;
}

/** Process, network, database and logging settings. */
export const SERVER_SETTINGS = [
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
    key: 'signing',
    env: ['PORTICO_SIGNING'],
    description:
      'Where tokens are signed. `async`: with node:crypto\'s callback form on libuv\'s threadpool, so a process goes on parsing and answering requests while its signatures are made (`UV_THREADPOOL_SIZE` threads per process; Portico sets it to cores / workers, at least 2, unless you set it). `sync`: on the event loop. See "Performance" in the README for the measurements behind the default.',
    defaultText: '`async`',
    parse(raw) {
      if (raw === undefined) return 'async';
      if (raw !== 'async' && raw !== 'sync') fail('PORTICO_SIGNING', 'must be async or sync', raw);
      return raw;
    },
  } satisfies Setting<'signing'>,
  {
    key: 'workers',
    env: ['PORTICO_WORKERS'],
    description:
      'Server processes sharing the port (node:cluster); `1` runs a single process. Default: one per core (with `PORTICO_SIGNING=async` each process signs on a threadpool of its own; see `PORTICO_SIGNING`).',
    defaultText: 'number of cores',
    parse(raw, _env, partial) {
      if (raw === undefined) return defaultWorkers(partial.signing ?? 'async', availableParallelism());
      if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 256) fail('PORTICO_WORKERS', 'must be an integer between 1 and 256', raw);
      return Number(raw);
    },
  } satisfies Setting<'workers'>,
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
