import type { Clock } from '../domain/clock.ts';
import type { Keyring } from '../domain/keyring.ts';
import { classifyStatus, EXCERPT_BYTES, responseExcerpt, signatureHeader, webhookPayload } from '../domain/webhook.ts';
import { OutboundError, type OutboundFetch } from '../outbound/fetch.ts';
import type { ClaimedDelivery } from '../storage/port.ts';

export interface SendDeps {
  readonly keyring: Keyring;
  readonly clock: Clock;
  /** The outbound module under the configured policy: the only way out to a URL someone supplied. */
  readonly outbound: OutboundFetch;
  readonly timeoutMs: number;
}

/** What one attempt came to; the caller turns it into the delivery's next state. */
export interface SendResult {
  readonly kind: 'delivered' | 'gone' | 'retry';
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly durationMs: number;
}

/**
 * POSTs one event to its endpoint: `{id, event, data, created_at}` as JSON,
 * signed with the endpoint secret at the time of sending (`WorkOS-Signature`).
 * Through the outbound module: private addresses refused unless allowed,
 * no redirects, a deadline, and only the first bytes of the answer read.
 */
export async function sendDelivery(deps: SendDeps, d: ClaimedDelivery): Promise<SendResult> {
  const secret = deps.keyring.open('webhook-secret', d.sealedSecret, d.endpointId).toString('utf8');
  const payload = webhookPayload(d.event);
  const started = performance.now();
  try {
    const res = await deps.outbound({
      url: d.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Portico-Webhooks', 'WorkOS-Signature': signatureHeader(secret, deps.clock.now().getTime(), payload) },
      body: payload,
      maxBytes: EXCERPT_BYTES,
      overflow: 'truncate',
      timeoutMs: deps.timeoutMs,
    });
    return { kind: classifyStatus(res.status), statusCode: res.status, error: null, responseExcerpt: responseExcerpt(res.body), durationMs: performance.now() - started };
  } catch (err) {
    // The outbound module's reasons (forbidden_address, timeout, connect, dns, ...) name no secret.
    const error = err instanceof OutboundError ? `${err.reason}: ${err.message}` : 'error: the request could not be made';
    return { kind: 'retry', statusCode: null, error: error.slice(0, 300), responseExcerpt: null, durationMs: performance.now() - started };
  }
}
