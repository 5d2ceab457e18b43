// Issue #14: the read routes the dashboard needs of issue #13's webhooks, under /portico/: one endpoint
// (secret masked), its deliveries (status filter, limit), each delivery's attempts, and a retry; with the
// management API's auth and error bodies, on both dialects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '../support/oauth-deps.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { drain, startReceiver, webhookWorker, type Receiver } from '../support/webhooks.ts';

for (const dialect of DIALECTS) {
  describe(`issue #14: /portico/webhook_endpoints deliveries (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let receiver: Receiver;
    const clock = manualClock();
    before(async () => {
      server = await startServer(dialect, { clock, env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
      receiver = await startReceiver();
    });
    after(async () => {
      await server.close();
      await receiver.close();
    });

    it('issue #14: a failed then retried delivery is listed with its attempts; the status filter and the retry route work; the secret is masked', async () => {
      const created = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}/hook`, events: ['organization.created'] } });
      assert.equal(created.status, 201);
      const endpoint = (await created.json()) as { id: string; secret: string };
      const one = await api(server, `/portico/webhook_endpoints/${endpoint.id}`);
      assert.equal(one.status, 200);
      const shown = (await one.json()) as { id: string; secret: string; endpoint_url: string };
      assert.equal(shown.endpoint_url, `${receiver.url}/hook`);
      assert.notEqual(shown.secret, endpoint.secret);
      assert.match(shown.secret, /…/, 'masked, as in the list');

      receiver.respond = () => 503;
      await api(server, '/organizations', { method: 'POST', body: { name: `Hooked ${dialect}` } });
      const worker = webhookWorker(server, clock);
      await drain(worker);
      const list = async (query = '') => {
        const res = await api(server, `/portico/webhook_endpoints/${endpoint.id}/deliveries${query}`);
        assert.equal(res.status, 200);
        return ((await res.json()) as { data: { event_id: string; event: string; status: string; attempts: number; last_status_code: number | null; in_flight: boolean }[] }).data;
      };
      const [pending] = await list();
      assert.equal(pending?.event, 'organization.created');
      assert.equal(pending?.status, 'pending');
      assert.equal(pending?.attempts, 1);
      assert.equal(pending?.last_status_code, 503);
      assert.equal(pending?.in_flight, false);
      assert.deepEqual(await list('?status=delivered'), []);

      receiver.respond = () => 200;
      const retry = await api(server, `/portico/webhook_endpoints/${endpoint.id}/deliveries/${pending!.event_id}/retry`, { method: 'POST', body: {} });
      assert.equal(retry.status, 202);
      await drain(worker);
      const [delivered] = await list('?status=delivered');
      assert.equal(delivered?.attempts, 2);
      const attempts = await api(server, `/portico/webhook_endpoints/${endpoint.id}/deliveries/${pending!.event_id}/attempts`);
      const rows = ((await attempts.json()) as { data: { attempt: number; status_code: number | null; duration_ms: number }[] }).data;
      assert.deepEqual(rows.map((a) => [a.attempt, a.status_code]), [[1, 503], [2, 200]]);
      assert.ok(rows.every((a) => Number.isInteger(a.duration_ms)));
      const again = await api(server, `/portico/webhook_endpoints/${endpoint.id}/deliveries/${pending!.event_id}/retry`, { method: 'POST', body: {} });
      assert.equal(again.status, 202, 'a delivered one may be sent again (as `portico webhooks retry`)');
      // Issue #14 review: a disabled endpoint gets nothing more, a retry included: 409 with what to do, and the delivery stays as it was.
      assert.equal((await api(server, `/webhook_endpoints/${endpoint.id}`, { method: 'PATCH', body: { status: 'disabled' } })).status, 200);
      const refused = await api(server, `/portico/webhook_endpoints/${endpoint.id}/deliveries/${pending!.event_id}/retry`, { method: 'POST', body: {} });
      assert.equal(refused.status, 409);
      const body = (await refused.json()) as { code: string; message: string };
      assert.equal(body.code, 'webhook_endpoint_disabled');
      assert.match(body.message, /enable it first/);
      assert.equal((await list()).find((d) => d.event_id === pending!.event_id)?.status, 'skipped', 'the disable skipped the resend queued above, and the refused retry left it so');
    });

    it('issue #14: unknown endpoints are 404, bad filters 422 naming the field, and nothing without an API key', async () => {
      const missing = await api(server, '/portico/webhook_endpoints/we_01NOPE/deliveries');
      assert.equal(missing.status, 404);
      assert.equal(typeof ((await missing.json()) as { message: string }).message, 'string');
      assert.equal((await api(server, '/portico/webhook_endpoints/we_01NOPE')).status, 404);
      const e = (await (await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}/other`, events: ['user.created'] } })).json()) as { id: string };
      for (const [query, field] of [['?status=lost', 'status'], ['?limit=0', 'limit'], ['?limit=101', 'limit'], ['?limit=x', 'limit']] as const) {
        const res = await api(server, `/portico/webhook_endpoints/${e.id}/deliveries${query}`);
        assert.equal(res.status, 422, query);
        assert.equal(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field, field);
      }
      const noAttempts = await api(server, `/portico/webhook_endpoints/${e.id}/deliveries/not-an-event/attempts`);
      assert.deepEqual(((await noAttempts.json()) as { data: unknown[] }).data, []);
      assert.equal((await api(server, `/portico/webhook_endpoints/${e.id}/deliveries/event_01ARZ3NDEKTSV4RRFFQ69G5FAV/retry`, { method: 'POST', body: {} })).status, 404);
      assert.equal((await fetch(`${server.baseUrl}/portico/webhook_endpoints/${e.id}/deliveries`)).status, 401);
    });
  });
}
