// Issue #13: the official @workos-inc/node SDK manages webhook endpoints against a real server (every
// response checked against @workos/openapi-spec, extensions only as ledgered), and a receiver on
// loopback verifies every delivery with `workos.webhooks.constructEvent` and the endpoint's secret.
// Events with WorkOS names deserialize through the SDK; no payload carries a secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictException, NotFoundException, UnprocessableEntityException, WorkOS } from '@workos-inc/node';
import { checkResponse, extraFields, recordResponses, type RecordedResponse } from '../contract/openapi.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { drain, startReceiver, verifyWithSdk, webhookWorker, type Receiver } from '../support/webhooks.ts';

function sdkFor(server: TestServer): WorkOS {
  const { hostname, port } = new URL(server.baseUrl);
  return new WorkOS(server.apiKey, { apiHostname: hostname, port: Number(port), https: false, maxRetries: 0 });
}

async function rejectsWith<T>(promise: Promise<unknown>, type: new (...args: never[]) => T, check?: (e: T) => void): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    check?.(e);
    return true;
  });
}

const EVENTS = [
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organization_membership.created',
  'user.created',
  'connect_application.created',
  'connect_application_secret.created',
  'connect_application_secret.deleted',
  'connect_application.deleted',
] as const;

for (const dialect of DIALECTS) {
  describe(`issue #13: webhook endpoints through the WorkOS SDK (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let workos: WorkOS;
    let receiver: Receiver;
    const recorded: RecordedResponse[] = [];
    // The server stamps events with the real clock; the worker must see them as due.
    const clock = systemClock;

    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' }, configure: (app) => recordResponses(app, recorded) });
      workos = sdkFor(server);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await server.close();
    });

    it('issue #13: create, list, update and delete an endpoint; the secret is in the create and update answers only', async () => {
      const created = await workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/crud`, events: ['organization.created', 'user.created'] as never });
      assert.match(created.id, /^we_[0-9A-Z]{26}$/);
      assert.match(created.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.status, 'enabled');
      assert.deepEqual(created.events, ['organization.created', 'user.created']);
      assert.equal(created.endpointUrl, `${receiver.url}/crud`);

      const listed = (await workos.webhooks.listWebhookEndpoints()).data.find((e) => e.id === created.id);
      assert.equal(listed?.secret, `whsec_…${created.secret.slice(-4)}`, 'a list never carries the secret');
      const all = await (await workos.webhooks.listWebhookEndpoints({ limit: 1 })).autoPagination();
      assert.ok(all.some((e) => e.id === created.id));

      const updated = await workos.webhooks.updateWebhookEndpoint({ id: created.id, events: ['organization.deleted'] as never, status: 'disabled' as never });
      assert.deepEqual(updated.events, ['organization.deleted']);
      assert.equal(updated.status, 'disabled');
      assert.equal(updated.secret, created.secret);
      assert.equal(updated.endpointUrl, created.endpointUrl, 'what the update does not give stays');
      assert.ok(updated.updatedAt >= created.updatedAt);

      await workos.webhooks.deleteWebhookEndpoint({ id: created.id });
      await rejectsWith(workos.webhooks.deleteWebhookEndpoint({ id: created.id }), NotFoundException, (e) => assert.equal(e.code, 'entity_not_found'));
      await rejectsWith(workos.webhooks.updateWebhookEndpoint({ id: created.id, status: 'enabled' as never }), NotFoundException);
    });

    it('issue #13: unknown event names are 422 unknown_event_type, a taken URL is 409 duplicate_endpoint, a bad URL 422 invalid_url', async () => {
      await rejectsWith(
        workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/bad`, events: ['organization.created', 'dsync.user.created', 'no.such_event'] as never }),
        UnprocessableEntityException,
        (e) => {
          assert.equal(e.code, 'invalid_request_parameters');
          assert.match(e.message, /unknown_event_type/);
        },
      );
      const res = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}/bad`, events: ['x.y'] } });
      const body = (await res.json()) as { errors: { field: string; code: string; message: string }[] };
      assert.deepEqual(body.errors.map((x) => [x.field, x.code]), [['events[0]', 'unknown_event_type']]);
      assert.equal(typeof body.errors[0]!.message, 'string');
      await rejectsWith(workos.webhooks.createWebhookEndpoint({ endpointUrl: 'ftp://hooks.example.com/x', events: ['user.created'] as never }), UnprocessableEntityException, (e) => assert.equal(e.code, 'invalid_url'));
      await workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/taken`, events: ['user.created'] as never });
      await rejectsWith(workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/taken`, events: ['user.created'] as never }), ConflictException, (e) => {
        assert.equal((e as unknown as { code?: string }).code ?? (e as { rawData?: { code?: string } }).rawData?.code, 'duplicate_endpoint');
      });
      const other = await workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/other`, events: ['user.created'] as never });
      await rejectsWith(workos.webhooks.updateWebhookEndpoint({ id: other.id, endpointUrl: `${receiver.url}/taken` }), ConflictException);
      await rejectsWith(workos.webhooks.updateWebhookEndpoint({ id: other.id, events: ['nope'] as never }), UnprocessableEntityException);
      // Pagination out of range: 422 as on every list (ledgered: the spec lists no error for this one).
      await rejectsWith(workos.webhooks.listWebhookEndpoints({ limit: 1000 }), UnprocessableEntityException);
      for (const e of (await workos.webhooks.listWebhookEndpoints({ limit: 100 })).data) await workos.webhooks.deleteWebhookEndpoint({ id: e.id });
    });

    it('issue #13: every delivery verifies with constructEvent and the endpoint secret; data deserializes; the same IDs as /events; no secret in any payload', async () => {
      const endpoint = await workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/events`, events: [...EVENTS] as never });
      const org = await workos.organizations.createOrganization({ name: 'Webhook Co', externalId: 'webhook-co' });
      await workos.organizations.updateOrganization({ organization: org.id, name: 'Webhook Co 2' });
      const app = await workos.connect.createM2MApplication('Hooked M2M', org.id, undefined, ['a:read']);
      const { id: secretId, secret: clientSecret } = await workos.connect.createApplicationClientSecret({ id: app.id });
      await workos.connect.deleteClientSecret({ id: secretId });
      // Not subscribed (connect_application.updated): recorded in /events, not delivered.
      await workos.connect.updateApplication({ id: app.id, name: 'Renamed' });
      await workos.connect.deleteApplication({ id: app.id });
      await workos.organizations.deleteOrganization(org.id);

      const reports = await drain(webhookWorker(server, clock));
      const got = receiver.received.filter((r) => r.path === '/events');
      assert.equal(reports.reduce((n, r) => n + r.delivered, 0), got.length);
      assert.ok(reports.every((r) => r.claimed <= 4), 'at most PORTICO_WEBHOOK_CONCURRENCY (4) of one endpoint at once');
      const expected = ['organization.created', 'organization.updated', 'connect_application.created', 'connect_application_secret.created', 'connect_application_secret.deleted', 'connect_application.deleted', 'organization.deleted'];
      assert.deepEqual(got.map((r) => (JSON.parse(r.body) as { event: string }).event).sort(), expected.sort());

      const listed = await workos.events.listEvents({ events: [...EVENTS] as never, limit: 100 });
      for (const r of got) {
        assert.equal(r.headers['content-type'], 'application/json');
        assert.match(String(r.headers['workos-signature']), /^t=\d{13}, v1=[0-9a-f]{64}$/);
        const event = await verifyWithSdk(r, endpoint.secret);
        const raw = JSON.parse(r.body) as Record<string, unknown>;
        assert.deepEqual(Object.keys(raw).sort(), ['created_at', 'data', 'event', 'id']);
        assert.ok(listed.data.some((e) => e.id === event.id), `${event.id} is the /events row`);
        assert.ok(!r.body.includes(clientSecret) && !r.body.includes(endpoint.secret) && !r.body.includes(server.apiKey), 'no secret in a payload');
        if (event.event === 'organization.updated') assert.equal((event.data as { name: string }).name, 'Webhook Co 2');
        if ((event.event as string) === 'connect_application_secret.created') assert.equal((event.data as { id: string }).id, secretId);
      }
      // A signature with another secret, or a changed body, fails verification.
      await assert.rejects(verifyWithSdk(got[0]!, 'whsec_wrong'), /Signature hash does not match/);
      await assert.rejects(verifyWithSdk({ ...got[0]!, body: got[0]!.body.replace('"data":', '"data" :') }, endpoint.secret), /Signature hash does not match/);
    });

    it('issue #13: WorkOS-named events carry the data the SDK deserializes (membership, user, api key)', async () => {
      const endpoint = await workos.webhooks.createWebhookEndpoint({ endpointUrl: `${receiver.url}/workos`, events: ['organization_membership.created', 'organization_membership.deleted', 'user.created', 'api_key.created', 'api_key.revoked'] as never });
      const org = await workos.organizations.createOrganization({ name: 'Members' });
      const user = await server.storage.users.upsertByExternalId({ newId: `user_01${'A'.repeat(24)}`, externalId: 'ext-member', email: 'member@example.com', firstName: 'Mem', lastName: 'Ber', metadata: null, at: new Date() });
      const membership = await workos.userManagement.createOrganizationMembership({ userId: user.user.id, organizationId: org.id });
      await workos.userManagement.deleteOrganizationMembership(membership.id);
      const { createApiKey, revokeApiKey } = await import('../../src/management/api-keys.ts');
      const ctx = { actor_type: 'cli' as const, actor_id: null, ip: null, request_id: null };
      const deps = { storage: server.storage, keyring: server.keyring, clock: { now: () => new Date() }, ids: (await import('../../src/domain/ids.ts')).createIdGenerator() };
      const { key, plaintext } = await createApiKey(deps, 'hooked', ctx);
      await revokeApiKey(deps, key.id, ctx);

      await drain(webhookWorker(server, clock));
      const mine = receiver.received.filter((r) => r.path === '/workos');
      const events = await Promise.all(mine.map((r) => verifyWithSdk(r, endpoint.secret)));
      const byName = new Map(events.map((e) => [e.event, e]));
      assert.deepEqual([...byName.keys()].sort(), ['api_key.created', 'api_key.revoked', 'organization_membership.created', 'organization_membership.deleted']);
      const m = byName.get('organization_membership.created')!.data as { id: string; userId: string; organizationId: string; status: string };
      assert.deepEqual([m.id, m.userId, m.organizationId, m.status], [membership.id, user.user.id, org.id, 'active']);
      const k = byName.get('api_key.revoked')!.data as { id: string; name: string; obfuscatedValue: string; owner: { type: string } };
      assert.deepEqual([k.id, k.name, k.obfuscatedValue, k.owner.type], [key.id, 'hooked', `sk_…${plaintext.slice(-4)}`, 'environment']);
      assert.ok(mine.every((r) => !r.body.includes(plaintext)));
      await workos.webhooks.deleteWebhookEndpoint({ id: endpoint.id });
    });

    it('issue #13: every response conforms to the OpenAPI document; extensions only as ledgered', () => {
      const ours = recorded.filter((r) => r.path.startsWith('/webhook_endpoints') || r.path.includes('client_secrets'));
      assert.ok(ours.length >= 10);
      // GET /events is a ledgered divergence of its own (README): Portico's event names and data.
      assert.deepEqual(recorded.filter((r) => r.path !== '/events').flatMap(checkResponse), []);
      assert.deepEqual(ours.flatMap((r) => extraFields(r).map((f) => `${r.method} ${r.path} ${r.status}: ${f}`)), []);
      // The client-secret extension is there, and only it.
      const created = ours.find((r) => r.method === 'POST' && r.path.endsWith('client_secrets') && r.status === 201)!;
      assert.deepEqual(Object.keys(JSON.parse(created.body) as object).sort(), ['created_at', 'expires_at', 'id', 'last_used_at', 'object', 'secret', 'secret_hint', 'updated_at']);
    });
  });
}

describe('issue #13: a webhook URL on a private address is refused with PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS off', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startServer('sqlite');
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await server.close();
  });

  it('issue #13: loopback, private and metadata addresses and http are 422 invalid_url at creation and update', async () => {
    for (const url of [`${receiver.url}/x`, 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://localhost/x', 'http://hooks.example.com/x', 'https://u:p@hooks.example.com/x']) {
      const res = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: url, events: ['user.created'] } });
      assert.equal(res.status, 422, url);
      assert.equal(((await res.json()) as { code: string }).code, 'invalid_url', url);
    }
    const ok = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: 'https://hooks.example.com/portico', events: ['user.created'] } });
    assert.equal(ok.status, 201);
    const { id } = (await ok.json()) as { id: string };
    const moved = await api(server, `/webhook_endpoints/${id}`, { method: 'PATCH', body: { endpoint_url: 'https://192.168.1.1/x' } });
    assert.equal(moved.status, 422);
  });

  it('issue #13: a host name that resolves to loopback is refused when the delivery connects (the attempt records why)', async () => {
    // Created while allowed (another node's setting, or a DNS answer that changed), delivered by a process with the setting off.
    const sealed = server.keyring.seal('webhook-secret', Buffer.from('whsec_test'), 'we_01PRIVATE0000000000000000');
    await server.storage.webhooks.createEndpoint({ id: 'we_01PRIVATE0000000000000000', url: `https://localhost:${new URL(receiver.url).port}/x`, events: ['organization.created'], sealedSecret: sealed, secretHint: 'test', at: new Date() });
    await api(server, '/organizations', { method: 'POST', body: { name: 'Private' } }).then((r) => r.arrayBuffer());
    const { WebhookWorker } = await import('../../src/webhooks/worker.ts');
    const { outboundFetch } = await import('../../src/outbound/fetch.ts');
    const { createIdGenerator } = await import('../../src/domain/ids.ts');
    const { systemRandom } = await import('../../src/domain/random.ts');
    const worker = new WebhookWorker({
      storage: server.storage, keyring: server.keyring, clock: { now: () => new Date() }, ids: createIdGenerator(), random: systemRandom,
      outbound: outboundFetch({ allowPrivateNetworks: false, ca: null }), config: server.config, log: { warn: () => {}, info: () => {} },
    });
    const report = await worker.tick();
    assert.equal(report.retried, 1);
    assert.equal(receiver.received.length, 0, 'nothing reached the loopback receiver');
    const [d] = await server.storage.webhooks.listDeliveries('we_01PRIVATE0000000000000000', { limit: 1 });
    assert.match(d!.lastError ?? '', /^forbidden_address: /);
  });
});
