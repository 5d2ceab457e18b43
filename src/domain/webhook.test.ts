// Issue #13: the delivery rules without HTTP: the signature is what the official SDK recomputes
// (SignatureProvider.computeSignature / verifyHeader), the payload's four keys, the retry schedule
// and its window, what is kept of an answer.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { WorkOS } from '@workos-inc/node';
import type { AuditEvent } from './audit.ts';
import { classifyStatus, maskedWebhookSecret, nextAttemptAt, responseExcerpt, RETRY_SCHEDULE, signatureHeader, webhookPayload } from './webhook.ts';

const workos = new WorkOS('sk_test_unit_0000000000000000000000');
const event: AuditEvent = {
  id: 'event_01HXYZ0000000000000000000A',
  event: 'organization.created',
  organizationId: 'org_1',
  data: { object: 'organization', id: 'org_1', name: 'Ünïcødé ✓', domains: [] },
  context: { actor_type: 'system', actor_id: null, ip: null, request_id: null },
  createdAt: new Date('2026-06-01T00:00:00.000Z'),
};

it('issue #13: WorkOS-Signature is t=<ms>, v1=<hex HMAC-SHA256 of "t.payload"> exactly as the SDK computes and verifies it', async () => {
  const payload = webhookPayload(event);
  assert.deepEqual(Object.keys(JSON.parse(payload) as object), ['id', 'event', 'data', 'created_at']);
  const t = Date.now();
  const header = signatureHeader('whsec_secret', t, payload);
  const [, v1] = header.split(', v1=');
  assert.equal(header, `t=${t}, v1=${v1}`);
  assert.equal(await workos.webhooks.computeSignature(String(t), payload, 'whsec_secret'), v1);
  assert.equal(await workos.webhooks.verifyHeader({ payload, sigHeader: header, secret: 'whsec_secret' }), true);
  const parsed = await workos.webhooks.constructEvent({ payload, sigHeader: header, secret: 'whsec_secret' });
  assert.equal(parsed.id, event.id);
  await assert.rejects(workos.webhooks.constructEvent({ payload, sigHeader: signatureHeader('whsec_other', t, payload), secret: 'whsec_secret' }));
  // The SDK refuses a timestamp more than 180 s old: each attempt is signed when it is sent.
  await assert.rejects(workos.webhooks.constructEvent({ payload, sigHeader: signatureHeader('whsec_secret', t - 181_000, payload), secret: 'whsec_secret' }), /tolerance/);
});

it('issue #13: retries double from one minute, capped at six hours, jittered ±25%, and end with the 72-hour window', () => {
  const start = new Date('2026-06-01T00:00:00.000Z');
  const after = (ms: number) => new Date(start.getTime() + ms);
  assert.equal(nextAttemptAt(start, start, 1, 0.5)!.getTime() - start.getTime(), 60_000);
  assert.equal(nextAttemptAt(start, start, 1, 0)!.getTime() - start.getTime(), 45_000);
  assert.equal(nextAttemptAt(start, start, 1, 0.999999)!.getTime() - start.getTime(), 75_000);
  assert.equal(nextAttemptAt(start, after(1000), 4, 0.5)!.getTime() - after(1000).getTime(), 8 * 60_000);
  assert.equal(nextAttemptAt(start, after(1000), 40, 0.5)!.getTime() - after(1000).getTime(), 6 * 3_600_000);
  const nearEnd = after(RETRY_SCHEDULE.windowMs - 60_000);
  assert.equal(nextAttemptAt(start, nearEnd, 15, 0.5)!.getTime(), start.getTime() + RETRY_SCHEDULE.windowMs, 'the last try at the end of the window');
  assert.equal(nextAttemptAt(start, after(RETRY_SCHEDULE.windowMs), 16, 0.5), null);
});

it('issue #13: 2xx delivers, 410 is gone, everything else (3xx included: no redirects) is retried; excerpts are short, plain text', () => {
  assert.deepEqual([200, 204, 299, 410, 301, 400, 404, 429, 500].map(classifyStatus), ['delivered', 'delivered', 'delivered', 'gone', 'retry', 'retry', 'retry', 'retry', 'retry']);
  assert.equal(responseExcerpt(Buffer.alloc(0)), null);
  assert.equal(responseExcerpt(Buffer.from('a\u0000b\nc')), 'a b c');
  assert.equal(responseExcerpt(Buffer.from('y'.repeat(5000)))!.length, 200);
  assert.equal(maskedWebhookSecret('abcd'), 'whsec_…abcd');
});
