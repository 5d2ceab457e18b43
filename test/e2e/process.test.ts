// Issue #2: the process as an operator meets it: configuration errors, first start, health, the CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { Keyring } from '../../src/domain/keyring.ts';
import { Metrics } from '../../src/http/metrics.ts';
import { createKeyStore } from '../../src/oauth/keys/rotation.ts';
import { openStorage } from '../../src/storage/sql/store.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const NODE = [process.execPath, '--disable-warning=ExperimentalWarning'];

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, ...extra };
}

/** Starts `src/main.ts` and resolves once it listens, with everything it printed so far. */
function startProcess(env: Record<string, string>) {
  const child = spawn(NODE[0]!, [...NODE.slice(1), 'src/main.ts'], { cwd: ROOT, env: cleanEnv(env) });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line:\n${out}`)), 15_000);
    const check = () => {
      const m = /Server listening at (http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        // The banner is written right after listen: give it a moment.
        setTimeout(() => resolve(m[1]!), 200);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
  const stop = () =>
    new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return { listening, stop, output: () => out };
}

describe('process and CLI', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'portico-proc-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a bad configuration value stops with exit code 2 and one clear line', () => {
    for (const [name, value] of [['PORTICO_PORT', 'eighty'], ['PORTICO_DATABASE_URL', 'mysql://x'], ['PORTICO_ISSUER', 'ftp://x'], ['PORTICO_SECRET_KEY', 'short']] as const) {
      const r = spawnSync(NODE[0]!, [...NODE.slice(1), 'src/main.ts'], { cwd: ROOT, env: cleanEnv({ [name]: value }), encoding: 'utf8' });
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^portico: invalid configuration: ${name}`));
    }
    const pg = spawnSync(NODE[0]!, [...NODE.slice(1), 'src/main.ts'], { cwd: ROOT, env: cleanEnv({ PORTICO_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' }), encoding: 'utf8' });
    assert.equal(pg.status, 2);
    assert.match(pg.stderr, /PORTICO_SECRET_KEY is required/);
  });

  it('first start creates the server key (0600) and prints an admin API key once; the second start does not', async () => {
    const dir = tempDir();
    const env = { PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}`, PORTICO_PORT: '0', PORTICO_HOST: '127.0.0.1', PORTICO_WORKERS: '1' };
    const first = startProcess(env);
    const url = await first.listening;
    const key = /^\s+(sk_[A-Za-z0-9_-]+)\s*$/m.exec(first.output())?.[1];
    assert.ok(key, first.output());
    assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
    const health = await fetch(`${url}/health`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);
    const listed = await fetch(`${url}/organizations`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(listed.status, 200);
    assert.equal(await first.stop(), 0);

    const second = startProcess(env);
    const url2 = await second.listening;
    assert.doesNotMatch(second.output(), /sk_/);
    // The key from the first start still works: it was stored (as a digest) under the same server key.
    assert.equal((await fetch(`${url2}/organizations`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
    assert.equal(await second.stop(), 0);
  });

  it('portico api-keys create | list | revoke; migrate', async () => {
    const dir = tempDir();
    const env = cleanEnv({ PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}` });
    const cli = (...args: string[]) => spawnSync(NODE[0]!, [...NODE.slice(1), 'src/cli/main.ts', ...args], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(cli('migrate').status, 0);
    const created = cli('api-keys', 'create', '--name', 'deploy');
    assert.equal(created.status, 0, created.stderr);
    const key = /(sk_[A-Za-z0-9_-]+)/.exec(created.stdout)?.[1];
    const id = /(api_key_[0-9A-Z]{26})/.exec(created.stdout)?.[1];
    assert.ok(key && id);
    const list = cli('api-keys', 'list');
    assert.match(list.stdout, new RegExp(`${id}  deploy`));
    assert.equal(list.stdout.includes(key), false);

    const server = startProcess({ PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}`, PORTICO_PORT: '0', PORTICO_HOST: '127.0.0.1', PORTICO_WORKERS: '1' });
    const url = await server.listening;
    const auth = { headers: { authorization: `Bearer ${key}` } };
    assert.equal((await fetch(`${url}/organizations`, auth)).status, 200);
    assert.equal(cli('api-keys', 'revoke', id).status, 0);
    assert.equal((await fetch(`${url}/organizations`, auth)).status, 401);
    assert.equal(cli('api-keys', 'revoke', id).status, 1);
    assert.equal(await server.stop(), 0);
    assert.equal(cli('frobnicate').status, 2);
  });

  it('with the database unreachable: liveness 200, readiness 503, API 503 with Retry-After', async () => {
    const apiKey = `sk_${randomBytes(24).toString('base64url')}`;
    const config = loadConfig({ PORTICO_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', PORTICO_SECRET_KEY: 'k'.repeat(32), PORTICO_API_KEY: apiKey, PORTICO_LOG_LEVEL: 'silent' });
    const storage = openStorage({ url: config.databaseUrl, timeoutMs: 1000 });
    const keyring = new Keyring(Buffer.alloc(32, 1));
    const ids = createIdGenerator();
    const keys = createKeyStore({ storage, keyring, clock: systemClock, ids, config });
    const app = await createApp({ config, storage, keyring, clock: systemClock, ids, keys, metrics: new Metrics(), environmentClientId: 'client_x' });
    try {
      assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
      const ready = await app.inject({ url: '/health/ready' });
      assert.equal(ready.statusCode, 503);
      const res = await app.inject({ url: '/organizations', headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.json<{ code: string }>().code, 'service_unavailable');
      // The authorization server fails closed the same way: never a token without the database.
      const token = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('client_x:secret').toString('base64')}` },
        payload: 'grant_type=client_credentials',
      });
      assert.equal(token.statusCode, 503);
      assert.equal(token.headers['retry-after'], '1');
      assert.equal(token.json<{ error: string }>().error, 'temporarily_unavailable');
    } finally {
      await app.close();
      await storage.close();
    }
  });
});
