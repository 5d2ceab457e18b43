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
