import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { systemClock, type Clock } from '../../src/domain/clock.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { Keyring } from '../../src/domain/keyring.ts';
import { SYSTEM_CONTEXT } from '../../src/domain/audit.ts';
import { Metrics } from '../../src/http/metrics.ts';
import type { KeyStore } from '../../src/oauth/keys/key-store.ts';
import { createKeyStore, ensureSigningKey } from '../../src/oauth/keys/rotation.ts';
import type { Storage } from '../../src/storage/port.ts';
import { createTestStorage, type Dialect } from './databases.ts';

export interface TestServer {
  readonly baseUrl: string;
  /** PORTICO_API_KEY of this server. */
  readonly apiKey: string;
  readonly storage: Storage & { readonly url: string };
  readonly keyring: Keyring;
  /** PORTICO_SECRET_KEY of this server. */
  readonly secretKey: string;
  readonly config: Config;
  readonly app: FastifyInstance;
  readonly keys: KeyStore;
  readonly metrics: Metrics;
  /** `aud` of tokens without a resource. */
  readonly environmentClientId: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly env?: Record<string, string>;
  readonly clock?: Clock;
  /** Another node on the same database: pass the first node's storage and server key. */
  readonly shareWith?: TestServer;
  /** Runs on the Fastify instance before it listens (e.g. to add an onSend recorder). */
  readonly configure?: (app: FastifyInstance) => void;
}

/** A port that was free a moment ago: the issuer must name the port before the server listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Portico on a real port (127.0.0.1, ephemeral) over a fresh database of `dialect`. */
export async function startServer(dialect: Dialect, options: TestServerOptions = {}): Promise<TestServer> {
  const shared = options.shareWith;
  const storage = shared ? shared.storage : await createTestStorage(dialect);
  const apiKey = shared ? shared.apiKey : `sk_test_${randomBytes(24).toString('base64url')}`;
  const secretKey = shared ? shared.secretKey : randomBytes(32).toString('base64url');
  const port = await freePort();
  const config = loadConfig({
    PORTICO_PORT: String(port),
    PORTICO_ISSUER: `http://127.0.0.1:${port}`,
    PORTICO_HOST: '127.0.0.1',
    PORTICO_DATABASE_URL: storage.url,
    PORTICO_API_KEY: apiKey,
    PORTICO_SECRET_KEY: secretKey,
    PORTICO_LOG_LEVEL: process.env.PORTICO_TEST_LOG_LEVEL ?? 'silent',
    PORTICO_WORKERS: '1',
    // Every test client comes from 127.0.0.1: the per-address authorize limit is tested on its own
    // (test/http/authorize-limits.test.ts), elsewhere it would only cut suites short.
    PORTICO_AUTHORIZE_RATE_LIMIT: '100000',
    ...options.env,
  });
  const keyring = new Keyring(Buffer.from(secretKey, 'utf8'));
  const clock = options.clock ?? systemClock;
  const ids = createIdGenerator();
  await ensureSigningKey({ storage, keyring, clock, ids, config }, SYSTEM_CONTEXT);
  const keys = createKeyStore({ storage, keyring, clock, ids, config });
  await keys.refresh();
  keys.start();
  const metrics = new Metrics();
  const environmentClientId = 'client_TESTENVIRONMENT0000000000';
  const app = await createApp({ config, storage, keyring, clock, ids, keys, metrics, environmentClientId });
  options.configure?.(app);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    baseUrl: config.issuer,
    apiKey,
    storage,
    keyring,
    secretKey,
    config,
    app,
    keys,
    metrics,
    environmentClientId,
    async close() {
      keys.stop();
      await app.close();
      // The first node owns the database.
      if (!shared) await storage.close();
    },
  };
}

/** fetch() against the management API with the server's key. */
export function api(server: TestServer, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${server.apiKey}`, ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  return fetch(`${server.baseUrl}${path}`, { method: init.method ?? 'GET', headers, ...(body !== undefined && { body }) });
}
