// Issue #13: delivery under a manual clock, with real receivers on loopback: a receiver that fails the
// first N times gets the event later with the same `id` (every attempt signed afresh and verified by the
// SDK); backoff with jitter over ~3 days, then failed; 410 disables the endpoint; timeouts; the
// per-endpoint bound across two workers; a lost lease is sent again (at least once); a database outage
// is one warn line; the outbox is purged after the retention period; the figures of a flaky run.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { StorageUnavailableError } from '../../src/domain/errors.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { configuredOutbound } from '../../src/outbound/fetch.ts';
import { housekeep } from '../../src/housekeeping.ts';
import type { Storage } from '../../src/storage/port.ts';
import { WebhookWorker } from '../../src/webhooks/worker.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { startReceiver, verifyWithSdk, webhookWorker, type Receiver } from '../support/webhooks.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Jitter pinned to the middle: every delay is exactly the schedule's. */
const noJitter = { bytes: (n: number) => Buffer.from([0x80, ...Array<number>(n - 1).fill(0)]) };

describe('issue #13: webhook delivery (manual clock, SQLite)', () => {
  let server: TestServer;
  let receiver: Receiver;
  const clock = manualClock();

  before(async () => {
    server = await startServer('sqlite', { clock, env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on', PORTICO_WEBHOOK_RETENTION_DAYS: '3' } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await server.close();
  });
  // Each test starts without endpoints (a failed test must not leave one that receives the next test's events).
  beforeEach(async () => {
    for (const e of (await server.storage.webhooks.listEndpoints({ limit: 100, order: 'asc' })).data) await server.storage.webhooks.deleteEndpoint(e.id);
  });

  async function endpoint(path: string, events: string[] = ['organization.created']): Promise<{ id: string; secret: string }> {
    const res = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}${path}`, events } });
    assert.equal(res.status, 201);
    return (await res.json()) as { id: string; secret: string };
  }
  const createOrg = async (name: string) => {
    const res = await api(server, '/organizations', { method: 'POST', body: { name } });
    assert.equal(res.status, 201);
    return (await res.json()) as { id: string };
  };
  const deliveries = (id: string) => server.storage.webhooks.listDeliveries(id, { limit: 1000 });
  const on = (path: string) => receiver.received.filter((r) => r.path === path);

  it('issue #13: a receiver that fails the first 3 times gets the event later, with the same id, each attempt verifiable', async () => {
    const ep = await endpoint('/flaky3');
    let calls = 0;
    receiver.respond = ({ path }) => (path === '/flaky3' ? (++calls <= 3 ? 500 : 200) : 200);
    await createOrg('Flaky');
    const worker = webhookWorker(server, clock, { random: noJitter });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const report = await worker.tick();
      assert.equal(report.claimed, 1, `attempt ${attempt}`);
      assert.equal((await worker.tick()).claimed, 0, 'not due again before its next attempt');
      const [d] = await deliveries(ep.id);
      if (attempt < 4) {
        assert.equal(d!.status, 'pending');
        const wait = d!.nextAttemptAt!.getTime() - clock.now().getTime();
        delays.push(wait);
        clock.advance(wait - 1);
        assert.equal((await worker.tick()).claimed, 0, 'one millisecond early');
        clock.advance(1);
      } else assert.equal(d!.status, 'delivered');
    }
    assert.deepEqual(delays, [MINUTE, 2 * MINUTE, 4 * MINUTE], 'exponential from one minute (jitter pinned to 1.0x)');
    const got = on('/flaky3');
    assert.deepEqual(got.map((r) => r.status), [500, 500, 500, 200]);
    const events = await Promise.all(got.map((r) => verifyWithSdk(r, ep.secret)));
    assert.equal(new Set(events.map((e) => e.id)).size, 1, 'one event id across every retry');
    assert.equal(new Set(got.map((r) => r.headers['workos-signature'])).size, 4, 'each attempt signed afresh');
    const attempts = await server.storage.webhooks.listAttempts(ep.id, events[0]!.id);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.statusCode, a.responseExcerpt]), [[1, 500, 'no (500)'], [2, 500, 'no (500)'], [3, 500, 'no (500)'], [4, 200, 'ok']]);
    await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
  });

  it('issue #13: backoff doubles from a minute, capped at 6 hours, jittered ±25%, for 72 hours; then the delivery failed', async () => {
    const ep = await endpoint('/down');
    receiver.respond = ({ path }) => (path === '/down' ? 503 : 200);
    await createOrg('Never delivered');
    const start = clock.now().getTime();
    const worker = webhookWorker(server, clock);
    const gaps: number[] = [];
    for (let i = 0; i < 100; i++) {
      await worker.tick();
      const [d] = await deliveries(ep.id);
      if (d!.status !== 'pending') break;
      const gap = d!.nextAttemptAt!.getTime() - clock.now().getTime();
      gaps.push(gap);
      clock.advance(gap);
    }
    const [d] = await deliveries(ep.id);
    assert.equal(d!.status, 'failed');
    const span = clock.now().getTime() - start;
    assert.ok(span <= 72 * HOUR && span > 71 * HOUR, `the last attempt at the end of the 72-hour window (${span / HOUR} h)`);
    assert.equal(d!.attempts, gaps.length + 1);
    assert.ok(d!.attempts >= 18 && d!.attempts <= 26, `${d!.attempts} attempts`);
    gaps.slice(0, -1).forEach((gap, i) => {
      const nominal = Math.min(MINUTE * 2 ** i, 6 * HOUR);
      assert.ok(gap >= nominal * 0.75 && gap <= nominal * 1.25, `retry ${i + 1}: ${gap} ms is ${nominal} ms ±25%`);
    });
    assert.equal(on('/down').length, d!.attempts);
    await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
  });

  it('issue #13: 410 Gone disables the endpoint; its other deliveries are skipped and later events are not enqueued', async () => {
    const ep = await endpoint('/gone');
    receiver.respond = ({ path }) => (path === '/gone' ? 410 : 200);
    for (let i = 0; i < 3; i++) await createOrg(`Gone ${i}`);
    const report = await webhookWorker(server, clock, { concurrency: 1 }).tick();
    assert.equal(report.gone, 1);
    const listed = (await (await api(server, '/webhook_endpoints?limit=100')).json()) as { data: { id: string; status: string }[] };
    assert.equal(listed.data.find((e) => e.id === ep.id)?.status, 'disabled');
    assert.deepEqual((await deliveries(ep.id)).map((d) => d.status).sort(), ['failed', 'skipped', 'skipped']);
    await createOrg('After gone');
    assert.equal((await deliveries(ep.id)).length, 3);
    assert.equal((await webhookWorker(server, clock).tick()).claimed, 0);
    assert.equal(on('/gone').length, 1);
    await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
  });

  it('issue #13: a receiver slower than the timeout is a failed attempt; a large answer is kept only as a short excerpt', async () => {
    const slow = await endpoint('/slow');
    const big = await endpoint('/big');
    receiver.respond = () => 200;
    const original = receiver.respond;
    const { createServer } = await import('node:http');
    const hang = createServer((req) => req.resume());
    const chatty = createServer((req, res) => req.on('data', () => {}).on('end', () => res.writeHead(200).end('x'.repeat(100_000))));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => chatty.listen(0, '127.0.0.1', r));
    try {
      await api(server, `/webhook_endpoints/${slow.id}`, { method: 'PATCH', body: { endpoint_url: `http://127.0.0.1:${(hang.address() as { port: number }).port}/slow` } });
      await api(server, `/webhook_endpoints/${big.id}`, { method: 'PATCH', body: { endpoint_url: `http://127.0.0.1:${(chatty.address() as { port: number }).port}/big` } });
      await createOrg('Slow and big');
      const started = performance.now();
      const report = await webhookWorker(server, clock, { timeoutSeconds: 1 }).tick();
      assert.ok(performance.now() - started < 5000);
      assert.deepEqual([report.delivered, report.retried], [1, 1]);
      const [s] = await deliveries(slow.id);
      assert.match(s!.lastError ?? '', /^timeout: /);
      const [b] = await deliveries(big.id);
      const [attempt] = await server.storage.webhooks.listAttempts(big.id, b!.eventId);
      assert.equal(attempt!.statusCode, 200);
      assert.equal(attempt!.responseExcerpt, 'x'.repeat(200));
    } finally {
      receiver.respond = original;
      hang.closeAllConnections();
      chatty.closeAllConnections();
      hang.close();
      chatty.close();
      await api(server, `/webhook_endpoints/${slow.id}`, { method: 'DELETE' });
      await api(server, `/webhook_endpoints/${big.id}`, { method: 'DELETE' });
    }
  });

  it('issue #13: at most PORTICO_WEBHOOK_CONCURRENCY deliveries of one endpoint in flight, across two workers', async () => {
    const { createServer } = await import('node:http');
    let open = 0;
    let peak = 0;
    const held: (() => void)[] = [];
    const holder = createServer((req, res) => {
      open++;
      peak = Math.max(peak, open);
      req.resume();
      held.push(() => {
        open--;
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const res = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `http://127.0.0.1:${(holder.address() as { port: number }).port}/held`, events: ['organization.created'] } });
    const ep = (await res.json()) as { id: string };
    try {
      for (let i = 0; i < 8; i++) await createOrg(`Held ${i}`);
      const a = webhookWorker(server, clock, { concurrency: 2 });
      const b = webhookWorker(server, clock, { concurrency: 2 });
      const ticks = [a.tick(), b.tick(), a.tick()];
      for (let i = 0; i < 50 && held.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(open, 2, 'two in flight, the others wait although three rounds ran');
      while (held.length > 0) held.shift()!();
      await Promise.all(ticks);
      for (let round = 0; round < 10; round++) {
        const pending = Promise.all([a.tick(), b.tick()]);
        for (let i = 0; i < 20; i++) {
          await new Promise((r) => setTimeout(r, 10));
          while (held.length > 0) held.shift()!();
        }
        await pending;
      }
      assert.equal(peak, 2);
      assert.deepEqual([...new Set((await deliveries(ep.id)).map((d) => d.status))], ['delivered']);
    } finally {
      while (held.length > 0) held.shift()!();
      holder.close();
      await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
    }
  });

  it('issue #13: a delivery whose sender died mid-send (lease taken, nothing recorded) is sent again after the lease, with the same id', async () => {
    const ep = await endpoint('/lease');
    receiver.respond = () => 200;
    await createOrg('Leased');
    const now = clock.now();
    const [lost] = await server.storage.webhooks.claimDue({ now, leaseUntil: new Date(now.getTime() + 20_000), perEndpoint: 4, limit: 10, token: 'crashed-process' });
    assert.equal(lost?.endpointId, ep.id);
    const worker = webhookWorker(server, clock);
    assert.equal((await worker.tick()).claimed, 0, 'leased: nobody else sends it');
    clock.advance(20_000);
    assert.equal((await worker.tick()).delivered, 1);
    const [got] = on('/lease');
    assert.equal((await verifyWithSdk(got!, ep.secret)).id, lost!.event.id);
    await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
  });

  it('issue #13: a database outage pauses delivery with one warn line, never an exception out of the loop', async () => {
    const warns: string[] = [];
    const infos: string[] = [];
    let down = true;
    const failing = new Proxy(server.storage, {
      get(target, prop, receiverObj) {
        if (prop === 'webhooks' && down) {
          return new Proxy(target.webhooks, { get: () => async () => Promise.reject(new StorageUnavailableError(new Error('ECONNREFUSED'))) });
        }
        if (prop === 'transaction' && down) return async () => Promise.reject(new StorageUnavailableError(new Error('ECONNREFUSED')));
        return Reflect.get(target, prop, receiverObj) as unknown;
      },
    }) as Storage;
    const worker = new WebhookWorker({
      storage: failing,
      keyring: server.keyring,
      clock,
      ids: createIdGenerator(),
      random: noJitter,
      outbound: configuredOutbound({ allowPrivateNetworks: true, caFile: null }),
      config: server.config,
      log: { warn: (_d, m) => warns.push(m), info: (_d, m) => infos.push(m) },
    });
    for (let i = 0; i < 20; i++) await worker.tick();
    assert.deepEqual(warns, ['the secret expiry scan paused: the database is unavailable; retrying every poll', 'webhook delivery paused: the database is unavailable; retrying every poll']);
    down = false;
    await worker.tick();
    await worker.tick();
    assert.deepEqual(infos, ['secret expiry scan resumed', 'webhook delivery resumed']);
  });

  it('issue #13: housekeeping purges finished deliveries after PORTICO_WEBHOOK_RETENTION_DAYS; the events stay in /events', async () => {
    const ep = await endpoint('/purge');
    receiver.respond = () => 200;
    await createOrg('Purged');
    await webhookWorker(server, clock).tick();
    const [d] = await deliveries(ep.id);
    assert.equal(d!.status, 'delivered');
    // PORTICO_WEBHOOK_RETENTION_DAYS=3 on this server (the default is 30), read from its configuration.
    clock.advance(2 * 24 * HOUR);
    await housekeep(server.storage, clock, server.config);
    assert.equal((await deliveries(ep.id)).length, 1, 'kept within the retention');
    clock.advance(24 * HOUR + 1000);
    await housekeep(server.storage, clock, server.config);
    assert.deepEqual(await deliveries(ep.id), []);
    assert.deepEqual(await server.storage.webhooks.listAttempts(ep.id, d!.eventId), []);
    const events = (await (await api(server, `/events?events=organization.created&limit=100`)).json()) as { data: { id: string }[] };
    assert.ok(events.data.some((e) => e.id === d!.eventId));
    await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
  });

  it('issue #13: the background loop (start/stop) drains a backlog at the endpoint\'s pace, not the bound per poll interval', async () => {
    const ep = await endpoint('/loop');
    receiver.respond = () => 200;
    for (let i = 0; i < 20; i++) await createOrg(`Loop ${i}`);
    const worker = webhookWorker(server, clock, { concurrency: 2 });
    const started = performance.now();
    worker.start();
    try {
      for (let i = 0; i < 200 && (await deliveries(ep.id)).some((d) => d.status !== 'delivered'); i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await worker.stop();
    }
    const ms = performance.now() - started;
    assert.deepEqual([...new Set((await deliveries(ep.id)).map((d) => d.status))], ['delivered']);
    // Two at a time with a one-second poll would take ten seconds; a freed slot looks again at once.
    assert.ok(ms < 5000, `${Math.round(ms)} ms`);
    assert.equal(on('/loop').length, 20);
  });

  it('issue #13: figures of a flaky receiver (each request fails with probability 1/2): every event arrives, ids stable, no duplicate', async (t) => {
    const ep = await endpoint('/coinflip');
    let seed = 0x2545f491;
    const coin = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 2 === 0;
    receiver.respond = ({ path }) => (path === '/coinflip' ? (coin() ? 200 : 500) : 200);
    const EVENTS = 60;
    const made = new Set<string>();
    for (let i = 0; i < EVENTS; i++) made.add((await createOrg(`Coin ${i}`)).id);
    const worker = webhookWorker(server, clock);
    for (let round = 0; round < 500; round++) {
      const r = await worker.tick();
      const pending = (await deliveries(ep.id)).filter((d) => d.status === 'pending');
      if (pending.length === 0) break;
      if (r.claimed === 0) clock.advance(Math.max(1, Math.min(...pending.map((d) => d.nextAttemptAt!.getTime())) - clock.now().getTime()));
    }
    const got = on('/coinflip');
    const verified = await Promise.all(got.map((r) => verifyWithSdk(r, ep.secret)));
    const accepted = verified.filter((_, i) => got[i]!.status === 200);
    const perEvent = new Map<string, number>();
    for (const e of accepted) perEvent.set(e.id, (perEvent.get(e.id) ?? 0) + 1);
    const duplicates = [...perEvent.values()].reduce((n, c) => n + c - 1, 0);
    const orgsDelivered = new Set(accepted.map((e) => (e.data as { id: string }).id));
    t.diagnostic(`flaky receiver: ${EVENTS} events, ${got.length} requests (${got.length - EVENTS} retries), ${accepted.length} accepted, ${duplicates} duplicates, ${(await deliveries(ep.id)).filter((d) => d.status === 'delivered').length} delivered; simulated span ${Math.round((clock.now().getTime() - [...verified].map((e) => new Date(e.createdAt).getTime()).sort()[0]!) / MINUTE)} min`);
    assert.equal(perEvent.size, EVENTS);
    assert.equal(new Set(verified.map((e) => e.id)).size, EVENTS, 'failed attempts and the accepted one carry the same id');
    assert.deepEqual([...orgsDelivered].sort(), [...made].sort());
    assert.equal(duplicates, 0);
    assert.ok(got.length > EVENTS, 'some requests failed and were retried');
    await api(server, `/webhook_endpoints/${ep.id}`, { method: 'DELETE' });
  });
});
