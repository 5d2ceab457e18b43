// Issue #13: `portico webhooks list|create|delete|deliveries|retry` and `portico secrets list --expiring`,
// run as processes on the database a server would use, with the same rules as the management API.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/domain/clock.ts';
import { Keyring } from '../../src/domain/keyring.ts';
import type { Storage } from '../../src/storage/port.ts';
import { openStorage } from '../../src/storage/sql/store.ts';
import { seedM2M, ids } from '../support/fixtures.ts';
import type { TestServer } from '../support/server.ts';
import { startReceiver, webhookWorker, type Receiver } from '../support/webhooks.ts';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import { loadConfig } from '../../src/config.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('issue #13: the webhooks and secrets commands', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let storage: Storage;
  let receiver: Receiver;
  const secretKey = randomBytes(32).toString('base64url');

  const portico = (args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...env, ...extra }, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-cli-webhooks-'));
    env = { PATH: process.env.PATH, HOME: process.env.HOME, PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}`, PORTICO_SECRET_KEY: secretKey };
    assert.equal(portico(['migrate']).code, 0);
    storage = openStorage({ url: env.PORTICO_DATABASE_URL! });
    receiver = await startReceiver(() => 500);
  });
  after(async () => {
    await receiver.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issue #13: create prints the secret once; list masks it; bad input is refused as by the API', () => {
    const created = portico(['webhooks', 'create', '--url', 'https://hooks.example.com/cli', '--events', 'organization.created,user.created']);
    assert.equal(created.code, 0, created.err);
    const id = /we_[0-9A-Z]{26}/.exec(created.out)?.[0];
    const secret = /whsec_[A-Za-z0-9_-]{43}/.exec(created.out)?.[0];
    assert.ok(id && secret, created.out);
    const listed = portico(['webhooks', 'list']);
    assert.match(listed.out, new RegExp(`${id}  enabled  https://hooks.example.com/cli  whsec_…${secret.slice(-4)}  events organization.created,user.created`));
    assert.ok(!listed.out.includes(secret));
    const privateUrl = portico(['webhooks', 'create', '--url', 'https://127.0.0.1/x', '--events', 'user.created']);
    assert.equal(privateUrl.code, 1);
    assert.match(privateUrl.err, /private or special-use address/);
    const unknown = portico(['webhooks', 'create', '--url', 'https://hooks.example.com/other', '--events', 'user.created,nope.nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /events\[1\]: Invalid enum value: 'nope.nope'/);
    assert.equal(portico(['webhooks', 'create', '--url', 'https://hooks.example.com/cli', '--events', 'user.created']).code, 1, 'duplicate URL');
    assert.equal(portico(['webhooks', 'create']).code, 2);
    assert.equal(portico(['webhooks', 'delete', id]).code, 0);
    const again = portico(['webhooks', 'delete', id]);
    assert.equal(again.code, 1);
    assert.match(again.err, /Webhook endpoint not found/);
  });

  it('issue #13: deliveries shows status, attempts, the last answer and the next attempt; retry makes it due now', async () => {
    const created = portico(['webhooks', 'create', '--url', `${receiver.url}/cli`, '--events', 'signing_key.rotated'], { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' });
    assert.equal(created.code, 0, created.err);
    const id = /we_[0-9A-Z]{26}/.exec(created.out)![0];
    const eventId = ids(ID_PREFIX.auditEvent);
    await storage.audit.record({ id: eventId, event: 'signing_key.rotated', organizationId: null, data: { kid: 'k1' }, context: { actor_type: 'cli', actor_id: null, ip: null, request_id: null }, createdAt: new Date() });
    assert.match(portico(['webhooks', 'deliveries', id]).out, new RegExp(`${eventId}  signing_key.rotated  pending  attempts 0  no attempt yet  next `));

    const server = { storage, keyring: new Keyring(Buffer.from(secretKey, 'utf8')), config: loadConfig({ PORTICO_DATABASE_URL: env.PORTICO_DATABASE_URL! }) } as unknown as TestServer;
    await webhookWorker(server, systemClock).tick();
    const listed = portico(['webhooks', 'deliveries', id, '--status', 'pending']);
    assert.match(listed.out, new RegExp(`${eventId}  signing_key.rotated  pending  attempts 1  last 500 at \\S+  next \\S+`));
    const attempts = portico(['webhooks', 'deliveries', id, '--attempts', eventId]);
    assert.match(attempts.out, /^#1  \S+  500 {4}\d+ ms {2}"no \(500\)"$/m);
    assert.equal(portico(['webhooks', 'deliveries', id, '--status', 'bogus']).code, 2);

    const retried = portico(['webhooks', 'retry', id, eventId]);
    assert.equal(retried.code, 0, retried.err);
    const [d] = await storage.webhooks.listDeliveries(id, { limit: 1 });
    assert.ok(d!.nextAttemptAt!.getTime() <= Date.now());
    assert.equal(portico(['webhooks', 'retry', id, 'event_unknown']).code, 1);
  });

  it('issue #13: secrets list --expiring shows the secrets expiring within the warning window, and the expired ones', async () => {
    const { app } = await seedM2M(storage);
    const now = Date.now();
    const mk = async (expiresAt: Date | null) => {
      const r = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: randomBytes(32), hint: randomBytes(3).toString('hex'), expiresAt, at: new Date(now) }, 5);
      assert.ok(r.ok);
      return r.secret.id;
    };
    const soon = await mk(new Date(now + 3 * 86_400_000));
    const gone = await mk(new Date(now - 1000));
    const later = await mk(new Date(now + 40 * 86_400_000));
    const never = await mk(null);
    const out = portico(['secrets', 'list', '--expiring']).out;
    assert.match(out, new RegExp(`${soon}  ${app.id}  …\\w{6}  expires \\S+ \\(in 3 days\\)`));
    assert.match(out, new RegExp(`${gone}  ${app.id}  …\\w{6}  expired `));
    assert.ok(!out.includes(later) && !out.includes(never));
    assert.ok(out.indexOf(gone) < out.indexOf(soon), 'soonest first');
    assert.ok(portico(['secrets', 'list', '--expiring'], { PORTICO_SECRET_EXPIRY_WARNING_DAYS: '60' }).out.includes(later));
    const all = portico(['secrets', 'list', '--application', app.id]).out;
    for (const id of [soon, gone, later, never]) assert.ok(all.includes(id));
    assert.match(all, new RegExp(`${never}  ${app.id}  …\\w{6}  never expires`));
    assert.equal(portico(['secrets', 'list']).code, 2);
  });
});
