// Issue #12: the process layouts of PORTICO_SIGNING, as `npm start` runs them. With `async` the
// tokens are signed on libuv's threadpool, sized by Portico (cores / workers, at least 2) unless the
// operator set UV_THREADPOOL_SIZE; with `sync` on the event loop. Either way every token verifies
// against the published key set, and concurrent requests each get their own token.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { freePort } from '../support/server.ts';
import { liveChildren } from '../fault/lib/procfs.ts';
import { startPortico, type PorticoProcess } from '../fault/lib/portico.ts';

/** libuv's threadpool threads of a process (they are named libuv-worker); 0 before the pool is first used. */
function threadpoolThreads(pid: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'libuv-worker') n++;
    } catch {
      // thread gone
    }
  }
  return n;
}

async function api<T>(p: PorticoProcess, apiKey: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${p.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as T;
}

/** 40 concurrent client_credentials requests; every answer a distinct token that verifies. Returns the client's Basic header. */
async function tokensVerify(p: PorticoProcess, apiKey: string): Promise<string> {
  const org = await api<{ id: string }>(p, apiKey, '/organizations', { name: 'Layout Org' });
  const app = await api<{ id: string; client_id: string }>(p, apiKey, '/connect/applications', { name: 'Layout M2M', application_type: 'm2m', organization_id: org.id, scopes: ['read'] });
  const { secret } = await api<{ secret: string }>(p, apiKey, `/connect/applications/${app.id}/client_secrets`, {});
  const basic = `Basic ${Buffer.from(`${app.client_id}:${secret}`).toString('base64')}`;
  const answers = await Promise.all(
    Array.from({ length: 40 }, async () => {
      const res = await fetch(`${p.baseUrl}/oauth2/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      assert.equal(res.status, 200);
      return ((await res.json()) as { access_token: string }).access_token;
    }),
  );
  assert.equal(new Set(answers).size, 40);
  const jwks = createRemoteJWKSet(new URL(`${p.baseUrl}/oauth2/jwks`));
  for (const token of answers) {
    const { payload } = await jwtVerify(token, jwks, { issuer: p.baseUrl });
    assert.equal(payload.client_id, app.client_id);
    assert.equal(payload.org_id, org.id);
  }
  return basic;
}

/** One token request on a connection of its own (the cluster's round-robin hands out connections, not requests). */
function tokenOnNewConnection(p: PorticoProcess, basic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${p.baseUrl}/oauth2/token`, { method: 'POST', agent: false, headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('grant_type=client_credentials');
  });
}

describe('issue #12: signing layouts of npm start', () => {
  const dirs: string[] = [];
  const running: PorticoProcess[] = [];
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (workers: number, env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-layout-'));
    dirs.push(dir);
    const apiKey = `sk_layout_${randomBytes(24).toString('base64url')}`;
    const p = await startPortico({ port: await freePort(), databaseUrl: `sqlite:${join(dir, 'portico.db')}`, apiKey, secretKey: randomBytes(32).toString('base64url'), workers, env });
    running.push(p);
    return { p, apiKey };
  };

  it('async (the default): one process signs on a threadpool of max(2, cores) threads', async () => {
    const { p, apiKey } = await start(1, {});
    await tokensVerify(p, apiKey);
    // issue #12: the expected size from the documented rule (cores / 1 worker, at least 2), not from signingThreads().
    assert.equal(threadpoolThreads(p.pid), Math.max(2, availableParallelism()));
  });

  it("async: the operator's UV_THREADPOOL_SIZE wins, in every worker", async () => {
    const { p, apiKey } = await start(2, { UV_THREADPOOL_SIZE: '3' });
    const basic = await tokensVerify(p, apiKey);
    const workers = liveChildren(p.pid);
    assert.equal(workers.length, 2);
    // Each worker must have signed before its pool can be counted: on a loaded machine the 40 requests above can
    // share a few keep-alive connections that all went to one worker (it failed so 2 runs in 4). New connections
    // until both have, at most 30 rounds; then each signed on its own pool of 3.
    for (let round = 0; round < 30 && workers.some((pid) => threadpoolThreads(pid) === 0); round++) {
      for (const status of await Promise.all(Array.from({ length: 4 }, () => tokenOnNewConnection(p, basic)))) assert.equal(status, 200);
    }
    for (const pid of workers) assert.equal(threadpoolThreads(pid), 3, `worker ${pid}`);
  });

  it('sync: tokens are signed on the event loop and verify the same', async () => {
    const { p, apiKey } = await start(2, { PORTICO_SIGNING: 'sync' });
    await tokensVerify(p, apiKey);
    // issue #12: two workers to look at, or the loop below checks nothing.
    const workers = liveChildren(p.pid);
    assert.equal(workers.length, 2);
    for (const pid of workers) assert.equal(threadpoolThreads(pid), 0, `worker ${pid} used the threadpool`);
  });
});
