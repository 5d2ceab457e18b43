// Issue #2: configuration is validated at start and documented from its own schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { ConfigError, loadConfig, renderConfigDoc } from './config.ts';

it('defaults: port 8080, embedded SQLite under ./data, issuer from the port', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.databaseUrl, 'sqlite:data/portico.db');
  assert.equal(c.issuer, 'http://localhost:8080');
  assert.equal(loadConfig({ PORT: '9000' }).issuer, 'http://localhost:9000');
  assert.equal(loadConfig({ PORTICO_PORT: '7000', PORT: '9000' }).port, 7000);
  assert.equal(loadConfig({ PORTICO_ISSUER: 'https://auth.example.com/' }).issuer, 'https://auth.example.com');
  assert.ok(Object.isFrozen(c));
});

it('rejects bad values with one line naming the variable and never echoing secrets', () => {
  const cases: Record<string, string>[] = [
    { PORTICO_PORT: '70000' },
    { PORTICO_ISSUER: 'https://x.test/?a=1' },
    { PORTICO_API_KEY: 'pk_nope_but_secret_value_here_123456' },
    { PORTICO_SECRET_KEY: 'tooshort' },
    { PORTICO_LOG_LEVEL: 'loud' },
    { PORTICO_DATABASE_URL: 'postgres://user:hunter2@db/portico' },
  ];
  for (const env of cases) {
    assert.throws(() => loadConfig(env), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message.includes('\n'), false);
      assert.ok(e.message.startsWith(Object.keys(env)[0]!) || e.message.startsWith('PORTICO_SECRET_KEY'), e.message);
      assert.equal(/hunter2|secret_value|tooshort/.test(e.message), false, e.message);
      return true;
    });
  }
});

it('docs/configuration.md is generated from the schema and up to date (npm run docs:config)', () => {
  assert.equal(readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8'), renderConfigDoc());
});

it('issue #7: the development login turns itself on only for a loopback issuer without a login page, outside production', () => {
  const dev = (env: Record<string, string>) => loadConfig(env).devLogin;
  assert.deepEqual(dev({}), { enabled: true, forced: false });
  for (const issuer of ['http://localhost:8080', 'http://127.0.0.1:9', 'http://127.8.9.10', 'http://[::1]:8080', 'http://app.localhost']) {
    assert.equal(dev({ PORTICO_ISSUER: issuer }).enabled, true, issuer);
  }
  for (const issuer of ['https://auth.example.com', 'http://10.0.0.5:8080', 'http://localhost.example.com', 'http://127.0.0.1.nip.io']) {
    assert.equal(dev({ PORTICO_ISSUER: issuer }).enabled, false, issuer);
  }
  assert.equal(dev({ NODE_ENV: 'production' }).enabled, false);
  assert.equal(dev({ PORTICO_LOGIN_URL: 'http://login.test/' }).enabled, false);
  assert.deepEqual(dev({ PORTICO_ISSUER: 'https://auth.example.com', PORTICO_DEV_LOGIN: 'on' }), { enabled: true, forced: true });
  assert.equal(dev({ PORTICO_DEV_LOGIN: 'off' }).enabled, false);
  assert.throws(() => loadConfig({ PORTICO_DEV_LOGIN: 'on', PORTICO_LOGIN_URL: 'https://login.test/' }), /cannot be combined/);
  assert.throws(() => loadConfig({ PORTICO_DEV_LOGIN: 'yes' }), /PORTICO_DEV_LOGIN must be auto, on or off/);
});

it('issue #7: PORTICO_TRUST_PROXY takes a hop count or addresses/CIDRs, and refuses anything else', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ PORTICO_TRUST_PROXY: '1' }).trustProxy, 1);
  assert.deepEqual(loadConfig({ PORTICO_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.0.2.1' }).trustProxy, ['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
  for (const bad of ['true', '*', '10.0.0.0/33', '10.0.0', 'fd00::/129', 'example.com']) {
    assert.throws(() => loadConfig({ PORTICO_TRUST_PROXY: bad }), /PORTICO_TRUST_PROXY/, bad);
  }
});

it('issue #12: PORTICO_SIGNING picks where tokens are signed (async: the threadpool, the default; sync: the event loop), one process per core either way', async () => {
  const { defaultWorkers, signingThreads } = await import('./config/server.ts');
  const { availableParallelism } = await import('node:os');
  const cores = availableParallelism();
  assert.equal(loadConfig({}).signing, 'async');
  assert.equal(loadConfig({}).workers, cores);
  assert.equal(loadConfig({ PORTICO_SIGNING: 'sync' }).workers, cores);
  assert.equal(loadConfig({ PORTICO_SIGNING: 'sync', PORTICO_WORKERS: '3' }).workers, 3);
  assert.equal(loadConfig({ PORTICO_WORKERS: '3' }).workers, 3);
  assert.throws(() => loadConfig({ PORTICO_SIGNING: 'threads' }), (e: unknown) => e instanceof ConfigError && e.message.startsWith('PORTICO_SIGNING'));
  // The layouts themselves, on machines of other sizes.
  assert.deepEqual([1, 2, 3, 8, 64].map((n) => defaultWorkers('async', n)), [1, 2, 3, 8, 64]);
  assert.deepEqual([1, 2, 8].map((n) => defaultWorkers('sync', n)), [1, 2, 8]);
  // Threads per process: its share of the cores, at least two; none chosen for sync signing.
  assert.equal(signingThreads('async', 1, 2), 2);
  assert.equal(signingThreads('async', 1, 8), 8);
  assert.equal(signingThreads('async', 4, 8), 2);
  assert.equal(signingThreads('async', 3, 8), 3);
  assert.equal(signingThreads('sync', 2, 2), null);
});
