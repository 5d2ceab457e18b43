import { createHmac } from 'node:crypto';
import type { AuditEvent } from './audit.ts';
import { randomToken, type Random } from './random.ts';

/**
 * Webhook deliveries (issue #13), as plain rules: the payload, its signature,
 * the retry schedule, what is kept of an answer. No HTTP, no SQL.
 */

/** The prefix WorkOS uses for endpoint signing secrets (`whsec_…`, OpenAPI WebhookEndpointJson example). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const SECRET_HINT_LENGTH = 4;

/** A new signing secret: 256 bits from the CSPRNG, base64url. */
export function generateWebhookSecret(random: Random): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomToken(random)}`;
}

export function webhookSecretHint(secret: string): string {
  return secret.slice(-SECRET_HINT_LENGTH);
}

/** What a list shows instead of the secret: never usable to sign or verify. */
export function maskedWebhookSecret(hint: string): string {
  return `${WEBHOOK_SECRET_PREFIX}…${hint}`;
}

/** The delivered body: `{id, event, data, created_at}`, the WorkOS webhook payload. */
export function webhookPayload(event: AuditEvent): string {
  return JSON.stringify({ id: event.id, event: event.event, data: event.data, created_at: event.createdAt.toISOString() });
}

/**
 * `WorkOS-Signature: t=<ms>, v1=<hex>`: HMAC-SHA256 under the endpoint secret
 * (its UTF-8 bytes) of `<t>.<payload>`, exactly what the WorkOS SDK's
 * `webhooks.constructEvent` recomputes (SignatureProvider.computeSignature).
 * It rejects a `t` more than its tolerance (180 s) in the past, so every
 * attempt is signed afresh.
 */
export function signatureHeader(secret: string, timestampMs: number, payload: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampMs}.${payload}`).digest('hex');
  return `t=${timestampMs}, v1=${v1}`;
}

/**
 * Retries: exponential backoff from one minute, doubling, capped at six
 * hours, each delay jittered by ±25% (so endpoints that failed together do
 * not retry together), within a window of 72 hours from the first attempt;
 * the last try lands at the window's end. About 22 attempts in all.
 */
export const RETRY_SCHEDULE = { baseMs: 60_000, capMs: 6 * 3_600_000, windowMs: 72 * 3_600_000 } as const;

/**
 * When to try again after `attempts` failed attempts (1 = the first failed),
 * or null when the window is over. `jitter` is uniform in [0, 1).
 */
export function nextAttemptAt(windowStartedAt: Date, now: Date, attempts: number, jitter: number): Date | null {
  const end = windowStartedAt.getTime() + RETRY_SCHEDULE.windowMs;
  if (now.getTime() >= end) return null;
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(RETRY_SCHEDULE.baseMs * 2 ** exponent, RETRY_SCHEDULE.capMs) * (0.75 + 0.5 * jitter);
  return new Date(Math.min(now.getTime() + Math.round(delay), end));
}

/** A uniform draw in [0, 1) from the CSPRNG (injectable, so tests can pin it). */
export function jitterFrom(random: Random): number {
  return random.bytes(4).readUInt32BE(0) / 2 ** 32;
}

/** How much of an endpoint's answer is kept: its first bytes, as text without control characters. */
export const EXCERPT_BYTES = 200;

export function responseExcerpt(body: Buffer): string | null {
  if (body.length === 0) return null;
  // Control characters (NUL above all: PostgreSQL cannot store it) become spaces.
  return body.subarray(0, EXCERPT_BYTES).toString('utf8').replace(/[\u0000-\u001f\u007f\ufffd]/g, ' ');
}

/** What an answer means for the delivery: done, endpoint gone (HTTP 410 disables it), or try again. */
export function classifyStatus(status: number): 'delivered' | 'gone' | 'retry' {
  if (status >= 200 && status < 300) return 'delivered';
  return status === 410 ? 'gone' : 'retry';
}
