// Issue #13: the storage contract of webhooks and of secret expiry, on every dialect: endpoints and
// their subscriptions; the outbox written by AuditRepository.record in the caller's transaction
// (visible to another connection only once it commits, gone with a rollback); claims that lease rows
// exactly once across connections, with a per-endpoint bound; attempts recorded only under the claim;
// 410 disabling; retry; purge; the credential query leaving expired secrets out; lifecycle marks once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent, AuditEventName } from '../../src/domain/audit.ts';
import { UniqueViolationError } from '../../src/domain/errors.ts';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import type { ClaimOptions, Storage } from '../../src/storage/port.ts';
import { openStorage } from '../../src/storage/sql/store.ts';
import { createTestStorage, dialectSuite, DIALECTS } from '../support/databases.ts';
import { ids, seedM2M } from '../support/fixtures.ts';

const T0 = new Date('2026-06-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const event = (name: AuditEventName, createdAt = T0): AuditEvent => ({
  id: ids(ID_PREFIX.auditEvent),
  event: name,
  organizationId: null,
  data: { n: 1 },
  context: { actor_type: 'system', actor_id: null, ip: null, request_id: null },
  createdAt,
});

for (const dialect of DIALECTS) {
  describe(`issue #13: webhook storage (${dialect})`, dialectSuite(dialect), () => {
    let storage: Storage & { url: string };
    let other: Storage;
    before(async () => {
      storage = await createTestStorage(dialect);
      // A second connection (pool) on the same database: what another process or node sees.
      other = openStorage({ url: storage.url });
    });
    after(async () => {
      await other.close();
      await storage.close();
    });

    const endpoint = (events: AuditEventName[], url = `https://hooks.example.com/${ids(ID_PREFIX.bare)}`) =>
      storage.webhooks.createEndpoint({ id: ids(ID_PREFIX.webhookEndpoint), url, events, sealedSecret: Buffer.from('sealed'), secretHint: 'abcd', at: T0 });
    const claim = (s: Storage, o: Partial<ClaimOptions> = {}) =>
      s.webhooks.claimDue({ now: at(1000), leaseUntil: at(61_000), perEndpoint: 100, limit: 100, token: ids.random(ID_PREFIX.bare), ...o });

    it('issue #13: endpoints are created, listed, updated (subscriptions replaced, URL unique) and deleted', async () => {
      const e = await endpoint(['organization.created', 'organization.created', 'api_key.created'], 'https://hooks.example.com/unique');
      assert.equal(e.status, 'enabled');
      assert.deepEqual(await storage.webhooks.getEndpoint(e.id), e);
      await assert.rejects(endpoint(['user.created'], 'https://hooks.example.com/unique'), (err) => err instanceof UniqueViolationError && err.column === 'endpoint_url');
      const changed = await storage.webhooks.updateEndpoint(e.id, { events: ['user.created'], url: 'https://hooks.example.com/moved', at: at(5) });
      assert.deepEqual(changed?.events, ['user.created']);
      assert.equal(changed?.url, 'https://hooks.example.com/moved');
      assert.ok((await storage.webhooks.listEndpoints({ limit: 100, order: 'desc' })).data.some((x) => x.id === e.id));
      assert.equal(await storage.webhooks.updateEndpoint('we_unknown', { status: 'disabled', at: T0 }), null);
      assert.equal(await storage.webhooks.deleteEndpoint(e.id), true);
      assert.equal(await storage.webhooks.getEndpoint(e.id), null);
      assert.equal(await storage.webhooks.deleteEndpoint(e.id), false);
    });

    it('issue #13: record() enqueues one delivery per enabled endpoint subscribed to the event, in the caller\'s transaction', async () => {
      const subscribed = await endpoint(['signing_key.rotated']);
      const disabled = await endpoint(['signing_key.rotated']);
      await storage.webhooks.updateEndpoint(disabled.id, { status: 'disabled', at: T0 });
      const elsewhere = await endpoint(['signing_key.created']);

      // Rolled back: neither the event nor a delivery remains.
      const lost = event('signing_key.rotated');
      await assert.rejects(
        storage.transaction(async (tx) => {
          await tx.audit.record(lost);
          throw new Error('the change failed after its event was written');
        }),
        /the change failed/,
      );
      assert.equal((await storage.audit.list({ limit: 100, order: 'desc' }, { events: ['signing_key.rotated'] })).data.some((x) => x.id === lost.id), false);
      assert.deepEqual(await storage.webhooks.listDeliveries(subscribed.id, { limit: 100 }), []);

      // Committed: the delivery exists the moment the transaction commits, and not before (another connection).
      const kept = event('signing_key.rotated');
      let seenBeforeCommit: unknown[] = ['not checked'];
      await storage.transaction(async (tx) => {
        await tx.audit.record(kept);
        seenBeforeCommit = await other.webhooks.listDeliveries(subscribed.id, { limit: 100 });
      });
      assert.deepEqual(seenBeforeCommit, []);
      const after = await other.webhooks.listDeliveries(subscribed.id, { limit: 100 });
      assert.deepEqual(after.map((d) => [d.eventId, d.event, d.status, d.attempts]), [[kept.id, 'signing_key.rotated', 'pending', 0]]);
      assert.equal(after[0]!.nextAttemptAt?.toISOString(), T0.toISOString());
      assert.deepEqual(await storage.webhooks.listDeliveries(disabled.id, { limit: 100 }), []);
      assert.deepEqual(await storage.webhooks.listDeliveries(elsewhere.id, { limit: 100 }), []);
      // Outside a transaction, record() is atomic on its own.
      await storage.audit.record(event('signing_key.rotated'));
      assert.equal((await storage.webhooks.listDeliveries(subscribed.id, { limit: 100 })).length, 2);
      await storage.webhooks.deleteEndpoint(subscribed.id);
    });

    it('issue #13: a claim leases rows exactly once across connections; the lease runs out; at most perEndpoint in flight', async () => {
      const e = await endpoint(['organization.updated']);
      for (let i = 0; i < 10; i++) await storage.audit.record(event('organization.updated', at(i)));
      assert.equal(await storage.webhooks.hasDue(at(1000)), true);
      assert.equal(await storage.webhooks.hasDue(at(-1)), false);
      const first = await claim(storage, { perEndpoint: 3 });
      assert.equal(first.length, 3);
      // Oldest first, with the event and the endpoint's URL.
      assert.deepEqual(first.map((d) => d.event.createdAt.getTime()), [T0.getTime(), T0.getTime() + 1, T0.getTime() + 2]);
      assert.equal(first[0]!.url, e.url);
      assert.equal((await claim(other, { perEndpoint: 3 })).length, 0, 'three in flight: the bound holds on another connection');
      assert.equal((await claim(other, { perEndpoint: 5 })).length, 2);
      // A lost lease: after it runs out the rows are claimed again (at least once), the stale claim records nothing.
      const again = await claim(other, { now: at(62_000), leaseUntil: at(120_000), perEndpoint: 100 });
      assert.equal(again.length, 10);
      const stale = first[0]!;
      const result = { endpointId: e.id, eventId: stale.event.id, at: at(63_000), statusCode: 200, error: null, responseExcerpt: 'ok', durationMs: 3, outcome: { kind: 'delivered' as const } };
      assert.equal(await storage.webhooks.recordAttempt({ ...result, claimToken: stale.claimToken }), false);
      assert.deepEqual(await storage.webhooks.listAttempts(e.id, stale.event.id), []);
      assert.equal(await storage.webhooks.recordAttempt({ ...result, claimToken: again[0]!.claimToken }), true);
      const attempts = await storage.webhooks.listAttempts(e.id, stale.event.id);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.statusCode, a.responseExcerpt]), [[1, 200, 'ok']]);
      await storage.webhooks.deleteEndpoint(e.id);
    });

    it('issue #13: concurrent claims from two connections never hand out the same delivery', async () => {
      const endpoints = [await endpoint(['user.created']), await endpoint(['user.created'])];
      for (let i = 0; i < 40; i++) await storage.audit.record(event('user.created', at(i)));
      const seen: string[] = [];
      // Each claimer goes on until nothing is due (a claimer that meets locked endpoints gets nothing and tries again).
      const claimer = async (s: Storage) => {
        for (let round = 0; round < 500 && (await s.webhooks.hasDue(at(1000))); round++) {
          for (const d of await claim(s, { limit: 3, perEndpoint: 100 })) seen.push(`${d.endpointId}/${d.event.id}`);
        }
      };
      await Promise.all([claimer(storage), claimer(other), claimer(storage), claimer(other)]);
      assert.equal(seen.length, 80, 'every delivery claimed');
      assert.equal(new Set(seen).size, 80, 'no delivery claimed twice');
      for (const e of endpoints) await storage.webhooks.deleteEndpoint(e.id);
    });

    it('issue #13: attempts move a delivery on: retry, delivered, failed; 410 disables the endpoint and skips its other deliveries', async () => {
      const e = await endpoint(['api_key.revoked']);
      for (let i = 0; i < 3; i++) await storage.audit.record(event('api_key.revoked', at(i)));
      const [a, b, c] = (await claim(storage)).filter((d) => d.endpointId === e.id);
      const base = { endpointId: e.id, at: at(2000), error: null, responseExcerpt: null, durationMs: 1 };
      assert.ok(await storage.webhooks.recordAttempt({ ...base, eventId: a!.event.id, claimToken: a!.claimToken, statusCode: 500, outcome: { kind: 'retry', nextAttemptAt: at(60_000) } }));
      assert.ok(await storage.webhooks.recordAttempt({ ...base, eventId: b!.event.id, claimToken: b!.claimToken, statusCode: 200, outcome: { kind: 'delivered' } }));
      const byId = async () => new Map((await storage.webhooks.listDeliveries(e.id, { limit: 10 })).map((d) => [d.eventId, d]));
      let rows = await byId();
      assert.equal(rows.get(a!.event.id)?.status, 'pending');
      assert.equal(rows.get(a!.event.id)?.nextAttemptAt?.toISOString(), at(60_000).toISOString());
      assert.equal(rows.get(a!.event.id)?.lastStatusCode, 500);
      assert.equal(rows.get(b!.event.id)?.status, 'delivered');
      assert.equal((await claim(storage, { now: at(59_999) })).filter((d) => d.endpointId === e.id).length, 0, 'not due before its next attempt');
      assert.ok(await storage.webhooks.recordAttempt({ ...base, eventId: c!.event.id, claimToken: c!.claimToken, statusCode: 410, outcome: { kind: 'gone' } }));
      assert.equal((await storage.webhooks.getEndpoint(e.id))?.status, 'disabled');
      rows = await byId();
      assert.equal(rows.get(a!.event.id)?.status, 'skipped');
      assert.equal(rows.get(c!.event.id)?.status, 'failed');
      assert.equal((await claim(storage, { now: at(100_000) })).filter((d) => d.endpointId === e.id).length, 0);
      // Issue #14 review: not while the endpoint is disabled (the route's check is only its message); nothing changes.
      assert.equal(await storage.webhooks.retry(e.id, c!.event.id, at(2500)), false, 'not to a disabled endpoint');
      assert.equal((await byId()).get(c!.event.id)?.status, 'failed');
      // A retry by hand (the CLI) after re-enabling: due now, with a fresh window.
      await storage.webhooks.updateEndpoint(e.id, { status: 'enabled', at: at(3000) });
      assert.equal(await storage.webhooks.retry(e.id, c!.event.id, at(4000)), true);
      const retried = (await claim(storage, { now: at(4000) })).filter((d) => d.endpointId === e.id);
      assert.deepEqual(retried.map((d) => [d.event.id, d.windowStartedAt.toISOString(), d.attempts]), [[c!.event.id, at(4000).toISOString(), 1]]);
      assert.equal(await storage.webhooks.retry(e.id, c!.event.id, at(4001)), false, 'not while it is in flight');
      assert.equal(await storage.webhooks.retry(e.id, 'event_unknown', at(4001)), false);
      await storage.webhooks.deleteEndpoint(e.id);
    });

    it('issue #13: the purge deletes finished deliveries (and their attempts) older than the cutoff, never pending ones', async () => {
      const e = await endpoint(['organization.deleted']);
      for (let i = 0; i < 2; i++) await storage.audit.record(event('organization.deleted', at(i)));
      const [done, waiting] = (await claim(storage)).filter((d) => d.endpointId === e.id);
      await storage.webhooks.recordAttempt({ endpointId: e.id, eventId: done!.event.id, claimToken: done!.claimToken, at: at(5000), statusCode: 204, error: null, responseExcerpt: null, durationMs: 1, outcome: { kind: 'delivered' } });
      await storage.webhooks.recordAttempt({ endpointId: e.id, eventId: waiting!.event.id, claimToken: waiting!.claimToken, at: at(5000), statusCode: null, error: 'connect: refused', responseExcerpt: null, durationMs: 1, outcome: { kind: 'retry', nextAttemptAt: at(9_999_999) } });
      assert.equal(await storage.webhooks.purge(at(5000)), 0, 'finished exactly at the cutoff: kept');
      assert.ok((await storage.webhooks.purge(at(5001))) >= 1);
      const left = await storage.webhooks.listDeliveries(e.id, { limit: 10 });
      assert.deepEqual(left.map((d) => [d.eventId, d.status]), [[waiting!.event.id, 'pending']]);
      assert.deepEqual(await storage.webhooks.listAttempts(e.id, done!.event.id), []);
      await storage.webhooks.deleteEndpoint(e.id);
    });

    it('issue #13: findCredentials leaves out a secret from its expires_at on (the compiled credential query filters it)', async () => {
      const { app } = await seedM2M(storage);
      const mk = (n: number, expiresAt: Date | null) => storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: Buffer.alloc(32, n), hint: 'h', expiresAt, at: T0 }, 5);
      await mk(201, null);
      await mk(202, at(10_000));
      await mk(203, at(20_000));
      const live = async (now: Date) => (await storage.secrets.findCredentials(app.clientId, now))?.secrets.map((s) => s.digest[0]).sort();
      assert.deepEqual(await live(at(9_999)), [201, 202, 203]);
      assert.deepEqual(await live(at(10_000)), [201, 203], 'at expires_at it no longer authenticates');
      assert.deepEqual(await live(at(20_001)), [201]);
      // The same compiled statement on another connection, and with only expired secrets the application is still found.
      assert.deepEqual((await other.secrets.findCredentials(app.clientId, at(10_000)))?.secrets.length, 2);
      const { app: lonely } = await seedM2M(storage);
      await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: lonely.id, digest: Buffer.alloc(32, 204), hint: 'h', expiresAt: at(1), at: T0 }, 5);
      const creds = await storage.secrets.findCredentials(lonely.clientId, at(1));
      assert.equal(creds?.application.id, lonely.id);
      assert.deepEqual(creds?.secrets, []);
      assert.equal((await storage.secrets.listByApplication(app.id)).find((s) => s.expiresAt?.getTime() === at(10_000).getTime())?.expiresAt?.toISOString(), at(10_000).toISOString());
    });

    it('issue #13: lifecycle marks are set once per secret, also by concurrent callers; listExpiring is soonest first', async () => {
      const { org, app } = await seedM2M(storage);
      const made: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: Buffer.alloc(32, 210 + i), hint: `h${i}`, expiresAt: at(3_600_000 * (i + 1)), at: T0 }, 10);
        assert.ok(r.ok);
        made.push(r.secret.id);
      }
      const inWindow = at(3_600_000 * 3);
      const results = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 ? other : storage).secrets.markLifecycle('expiring', inWindow, at(1), 2)));
      const more = await storage.secrets.markLifecycle('expiring', inWindow, at(2), 100);
      // Other tests' secrets fall in the window too: count this application's.
      const mine = [...results.flat(), ...more].filter((s) => s.applicationId === app.id);
      assert.deepEqual(mine.map((s) => s.id).sort(), made.slice(0, 3).sort(), 'the three within the window, each once');
      assert.ok(mine.every((s) => s.organizationId === org.id));
      assert.deepEqual(await storage.secrets.markLifecycle('expiring', inWindow, at(3), 100), []);
      assert.deepEqual((await storage.secrets.markLifecycle('expired', at(3_600_000), at(4), 100)).filter((s) => s.applicationId === app.id).map((s) => s.id), [made[0]]);
      const expiring = (await storage.secrets.listExpiring(at(3_600_000 * 2))).filter((s) => s.applicationId === app.id);
      assert.deepEqual(expiring.map((s) => s.id), made.slice(0, 2));
    });
  });
}
