// Issue #13: the README's webhook receiver runs as pasted: the block between `<!-- webhook-receiver -->`
// markers is written to a file and started with the bundled Node; Portico delivers to it, and it verifies
// with the SDK alone: it acts on each event once (a resend is acknowledged, not repeated) and refuses a
// forged request with 400.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/domain/clock.ts';
import { api, freePort, startServer, type TestServer } from '../support/server.ts';
import { drain, webhookWorker } from '../support/webhooks.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

function receiverSource(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- webhook-receiver -->\n```js\n([\s\S]*?)```\n<!-- \/webhook-receiver -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no webhook-receiver block');
  return block;
}

const listening = async (port: number) => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s.end() !== undefined)).on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error('the README receiver did not listen');
};

describe('issue #13: the README webhook receiver', () => {
  let server: TestServer;
  let dir: string;
  let out = '';
  let stop: () => void = () => {};

  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
    dir = mkdtempSync(join(tmpdir(), 'portico-readme-receiver-'));
    // The block imports @workos-inc/node as a user's project would: from a node_modules next to it.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'receiver.mjs'), receiverSource());
  });
  after(async () => {
    stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issue #13: verifies and acts on each delivered event once, and refuses a forged one', async () => {
    const port = await freePort();
    const created = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `http://127.0.0.1:${port}/`, events: ['organization.created'] } });
    const endpoint = (await created.json()) as { id: string; secret: string };
    const child = spawn(process.execPath, ['receiver.mjs'], { cwd: dir, env: { PATH: process.env.PATH, KEY: server.apiKey, WEBHOOK_SECRET: endpoint.secret, PORT: String(port) } });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    stop = () => child.kill('SIGKILL');
    await listening(port);

    const org = (await (await api(server, '/organizations', { method: 'POST', body: { name: 'README receiver' } })).json()) as { id: string };
    const worker = webhookWorker(server, systemClock);
    await drain(worker);
    const [d] = await server.storage.webhooks.listDeliveries(endpoint.id, { limit: 1 });
    assert.equal(d?.status, 'delivered');
    assert.equal(d?.lastStatusCode, 200);
    assert.equal(d?.attempts, 1);
    // Sent again (as after a crash): acknowledged, not acted on twice.
    assert.ok(await server.storage.webhooks.retry(endpoint.id, d!.eventId, new Date()));
    await drain(worker);
    const [again] = await server.storage.webhooks.listDeliveries(endpoint.id, { limit: 1 });
    assert.equal(again?.lastStatusCode, 200);
    // issue #13: the resend was delivered: a second attempt of the same event, answered 200 by the receiver.
    assert.deepEqual([again?.eventId, again?.status, again?.attempts], [d!.eventId, 'delivered', 2]);
    assert.deepEqual((await server.storage.webhooks.listAttempts(endpoint.id, d!.eventId)).map((a) => [a.attempt, a.statusCode]).sort(), [[1, 200], [2, 200]]);

    const forged = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'workos-signature': `t=${Date.now()}, v1=${'0'.repeat(64)}` }, body: JSON.stringify({ id: 'event_forged', event: 'organization.created', data: { id: org.id }, created_at: new Date().toISOString() }) });
    assert.equal(forged.status, 400);
    const unsigned = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' });
    assert.equal(unsigned.status, 400);
    await sleep(100);
    assert.equal(out, `organization.created ${d!.eventId}\n`);
  });
});
