// Issue #13: client secrets that expire (beyond WorkOS). Created with `expires_in` / `expires_at`, a
// secret authenticates until `expires_at` and is refused from that instant on, on every node, with no
// cache; `connect_application_secret.expiring` is emitted PORTICO_SECRET_EXPIRY_WARNING_DAYS before and
// `…expired` at expiry, each once although two workers scan, and both are delivered and verifiable;
// PORTICO_SECRET_MAX_LIFETIME_DAYS caps new secrets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { tokenRequest } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { startReceiver, verifyWithSdk, webhookWorker, type Receiver } from '../support/webhooks.ts';

const DAY = 86_400_000;

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function m2mApp(server: TestServer): Promise<{ id: string; clientId: string }> {
  const org = await json<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'Expiry' } }), 201);
  const app = await json<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Expiring M2M', application_type: 'm2m', organization_id: org.id } }), 201);
  return { id: app.id, clientId: app.client_id };
}

type SecretJson = { id: string; secret: string; expires_at: string | null };
const createSecret = (server: TestServer, appId: string, body: unknown) => api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body });

for (const dialect of DIALECTS) {
  describe(`issue #13: secrets that expire (${dialect})`, dialectSuite(dialect), () => {
    let a: TestServer;
    let b: TestServer;
    let receiver: Receiver;
    const clock = manualClock();

    before(async () => {
      const env = { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' };
      a = await startServer(dialect, { clock, env });
      b = await startServer(dialect, { clock, env, shareWith: a });
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await b.close();
      await a.close();
    });

    it('issue #13: expires_in / expires_at are validated; the secret objects carry expires_at', async () => {
      const app = await m2mApp(a);
      const now = clock.now().getTime();
      for (const [body, code] of [
        [{ expires_in: 0 }, 'expires_in_invalid'],
        [{ expires_in: 1.5 }, 'expires_in_invalid'],
        [{ expires_in: '3600' }, 'expires_in_invalid'],
        [{ expires_at: new Date(now - 1000).toISOString() }, 'expires_at_in_past'],
        [{ expires_at: 'tomorrow' }, 'expires_at_invalid'],
        [{ expires_at: new Date(now + DAY).toISOString(), expires_in: 60 }, 'expires_at_and_expires_in_exclusive'],
      ] as const) {
        const err = await json<{ errors: { field: string; code: string }[] }>(await createSecret(a, app.id, body), 422);
        assert.equal(err.errors[0]?.code, code, JSON.stringify(body));
      }
      const never = await json<SecretJson>(await createSecret(a, app.id, {}), 201);
      assert.equal(never.expires_at, null);
      const at = new Date(now + 3 * DAY).toISOString();
      assert.equal((await json<SecretJson>(await createSecret(a, app.id, { expires_at: at }), 201)).expires_at, at);
      const byIn = await json<SecretJson>(await createSecret(a, app.id, { expires_in: 3600 }), 201);
      assert.equal(byIn.expires_at, new Date(now + 3_600_000).toISOString());
      const listed = await json<SecretJson[]>(await api(a, `/connect/applications/${app.id}/client_secrets`), 200);
      assert.deepEqual(listed.map((s) => s.expires_at).sort(), [at, byIn.expires_at, null].sort());
    });

    it('issue #13: an expiring secret emits its events at the right times and stops authenticating at expires_at, on every node', async () => {
      const endpoint = await json<{ id: string; secret: string }>(
        await api(a, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}/${dialect}`, events: ['connect_application_secret.expiring', 'connect_application_secret.expired'] } }),
        201,
      );
      const app = await m2mApp(a);
      const created = await json<SecretJson>(await createSecret(a, app.id, { expires_in: 20 * 86_400 }), 201);
      const expiresAt = new Date(created.expires_at!).getTime();
      const token = (server: TestServer) => tokenRequest(server, { grant_type: 'client_credentials' }, { id: app.clientId, secret: created.secret }).then(async (r) => (await r.arrayBuffer(), r.status));
      // Two workers (two nodes) scan the same database.
      const workers = [webhookWorker(a, clock), webhookWorker(b, clock)];
      const scan = async () => {
        const reports = await Promise.all(workers.map((w) => w.tick()));
        return { expiring: reports.reduce((n, r) => n + r.expiring, 0), expired: reports.reduce((n, r) => n + r.expired, 0) };
      };
      const mine = async (name: string) => (await a.storage.audit.list({ limit: 100, order: 'asc' }, { events: [name] })).data.filter((e) => (e.data as { id: string }).id === created.id);

      assert.equal(await token(a), 200);
      await scan();
      assert.equal((await mine('connect_application_secret.expiring')).length, 0, 'twenty days ahead: outside the 14-day window');
      clock.advance(expiresAt - 14 * DAY - clock.now().getTime() - 1);
      await scan();
      assert.equal((await mine('connect_application_secret.expiring')).length, 0, 'one millisecond before the window');
      clock.advance(1);
      await scan();
      await scan();
      assert.equal((await mine('connect_application_secret.expiring')).length, 1, 'at 14 days before: once, although two workers scanned twice');
      assert.equal(await token(b), 200, 'expiring is not expired');

      clock.advance(expiresAt - clock.now().getTime() - 1);
      assert.deepEqual([await token(a), await token(b)], [200, 200], 'one millisecond before expires_at');
      clock.advance(1);
      // No scan, no cache: the very next request on either node is refused.
      assert.deepEqual([await token(a), await token(b)], [401, 401], 'at expires_at');
      clock.advance(1);
      assert.deepEqual([await token(a), await token(b)], [401, 401], 'after expires_at');
      assert.equal((await mine('connect_application_secret.expired')).length, 0, 'the event waits for a scan; authentication does not');
      await scan();
      await scan();
      const expired = await mine('connect_application_secret.expired');
      assert.equal(expired.length, 1);
      // Emitted by the first scan after expires_at (here one millisecond after it).
      assert.equal(expired[0]!.createdAt.getTime(), expiresAt + 1);
      assert.equal((expired[0]!.data as { application_id: string }).application_id, app.id);

      // The other secrets of this database expire too (the first test's): this secret's events are these.
      const got = receiver.received.filter((r) => r.path === `/${dialect}` && r.body.includes(created.id));
      const all = await Promise.all(receiver.received.filter((r) => r.path === `/${dialect}`).map((r) => verifyWithSdk(r, endpoint.secret)));
      assert.ok(all.length > got.length);
      const events = await Promise.all(got.map((r) => verifyWithSdk(r, endpoint.secret)));
      assert.deepEqual(events.map((e) => e.event), ['connect_application_secret.expiring', 'connect_application_secret.expired']);
      const data = events.map((e) => e.data as unknown as { id: string; expires_at: string });
      assert.ok(data.every((d) => d.id === created.id && d.expires_at === created.expires_at));
      assert.ok(got.every((r) => !r.body.includes(created.secret)));
      // Still listed (with its expiry) until deleted; deleting it works as for any secret.
      const listed = await json<SecretJson[]>(await api(a, `/connect/applications/${app.id}/client_secrets`), 200);
      assert.equal(listed.find((s) => s.id === created.id)?.expires_at, created.expires_at);
      assert.equal((await api(a, `/connect/client_secrets/${created.id}`, { method: 'DELETE' })).status, 204);
    });

    it('issue #13: a secret created inside the warning window is announced at the next scan, expiring before expired', async () => {
      const app = await m2mApp(a);
      const created = await json<SecretJson>(await createSecret(a, app.id, { expires_in: 60 }), 201);
      const w = webhookWorker(a, clock);
      assert.deepEqual(await w.tick().then((r) => [r.expiring, r.expired]), [1, 0]);
      clock.advance(60_000);
      assert.deepEqual(await w.tick().then((r) => [r.expiring, r.expired]), [0, 1]);
      const names = (await a.storage.audit.list({ limit: 100, order: 'asc' }, { events: ['connect_application_secret.expiring', 'connect_application_secret.expired'] })).data
        .filter((e) => (e.data as { id: string }).id === created.id)
        .map((e) => e.event);
      assert.deepEqual(names, ['connect_application_secret.expiring', 'connect_application_secret.expired']);
    });
  });
}

describe('issue #13: PORTICO_SECRET_MAX_LIFETIME_DAYS', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_SECRET_MAX_LIFETIME_DAYS: '30' } });
  });
  after(async () => server.close());

  it('issue #13: a secret without an expiry gets the maximum; a later one is 422 expires_at_too_late', async () => {
    const app = await m2mApp(server);
    const before = Date.now();
    const capped = await json<SecretJson>(await createSecret(server, app.id, {}), 201);
    const lifetime = new Date(capped.expires_at!).getTime() - before;
    assert.ok(lifetime >= 30 * DAY - 5000 && lifetime <= 30 * DAY + 5000, String(lifetime));
    const err = await json<{ errors: { code: string }[] }>(await createSecret(server, app.id, { expires_in: 31 * 86_400 }), 422);
    assert.equal(err.errors[0]?.code, 'expires_at_too_late');
    assert.equal((await createSecret(server, app.id, { expires_in: 29 * 86_400 })).status, 201);
  });
});

describe('issue #13: stopping the worker waits for a secret-lifecycle scan under way', () => {
  it('issue #13 (review): stop() resolves only after the scan has written its events, so the database can be closed after it', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const clock = manualClock();
    const server = await startServer('sqlite', { clock });
    const raw = new DatabaseSync(server.storage.url.slice('sqlite:'.length));
    try {
      const app = await m2mApp(server);
      await json(await createSecret(server, app.id, { expires_in: 3600 }), 201);
      // Another connection holds the write lock: the scan reads the expiring secret, then waits to write its event.
      raw.exec('BEGIN IMMEDIATE');
      const worker = webhookWorker(server, clock);
      worker.start();
      await new Promise((r) => setTimeout(r, 200));
      let stopped = false;
      const stopping = worker.stop().then(() => void (stopped = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(stopped, false, 'stop() waits while the scan is still writing');
      raw.exec('COMMIT');
      await stopping;
      const events = await json<{ data: { event: string }[] }>(await api(server, '/events?events=connect_application_secret.expiring'), 200);
      assert.equal(events.data.length, 1, 'the scan finished before stop() returned');
    } finally {
      raw.close();
      await server.close();
    }
  });
});
