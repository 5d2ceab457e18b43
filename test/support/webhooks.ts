// Issue #13: a webhook receiver on loopback (real HTTP, records every request as it came), and the
// delivery worker of a test server, driven by hand with a manual clock and `tick()`.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkOS } from '@workos-inc/node';
import type { Clock } from '../../src/domain/clock.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { systemRandom, type Random } from '../../src/domain/random.ts';
import { configuredOutbound } from '../../src/outbound/fetch.ts';
import { WebhookWorker, type TickReport } from '../../src/webhooks/worker.ts';
import type { TestServer } from './server.ts';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as it arrived (what a receiver must verify). */
  readonly body: string;
  /** What the receiver answered. */
  readonly status: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Decides each answer's status (default 200); `n` counts requests from 1. */
  respond: (request: { path: string; body: string; n: number }) => number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every request and answers `respond(...)`, after `delayMs()` if given. */
export async function startReceiver(respond: Receiver['respond'] = () => 200, options: { delayMs?: () => number } = {}): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const receiver = { respond } as { respond: Receiver['respond'] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = receiver.respond({ path: req.url ?? '/', body, n: received.length + 1 });
      received.push({ path: req.url ?? '/', headers: req.headers, body, status });
      const answer = () => res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `no (${status})`);
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** Verifies one received request with the official SDK and the endpoint secret, as a receiver would. */
export async function verifyWithSdk(request: ReceivedRequest, secret: string) {
  const workos = new WorkOS('sk_test_verifier_only_0000000000000000');
  const sigHeader = request.headers['workos-signature'];
  if (typeof sigHeader !== 'string') throw new Error('no WorkOS-Signature header');
  // The raw body, as a receiver must pass it: the signature covers these exact bytes.
  return workos.webhooks.constructEvent({ payload: request.body, sigHeader, secret });
}

/** The delivery worker of `server` (its storage and server key), on `clock`; call `tick()` to run a round. */
export function webhookWorker(server: TestServer, clock: Clock, options: { random?: Random; concurrency?: number; timeoutSeconds?: number } = {}): WebhookWorker {
  return new WebhookWorker({
    storage: server.storage,
    keyring: server.keyring,
    clock,
    ids: createIdGenerator(),
    random: options.random ?? systemRandom,
    outbound: configuredOutbound({ allowPrivateNetworks: true, caFile: null }),
    config: {
      webhookConcurrency: options.concurrency ?? server.config.webhookConcurrency,
      webhookTimeoutSeconds: options.timeoutSeconds ?? server.config.webhookTimeoutSeconds,
      webhookPollMs: server.config.webhookPollMs,
      secretExpiryWarningDays: server.config.secretExpiryWarningDays,
    },
    log: { warn: () => {}, info: () => {} },
  });
}

/** Ticks until a round claims nothing (each round takes at most the per-endpoint bound); the rounds' reports. */
export async function drain(worker: WebhookWorker, maxRounds = 50): Promise<TickReport[]> {
  const reports: TickReport[] = [];
  for (let i = 0; i < maxRounds; i++) {
    const r = await worker.tick();
    reports.push(r);
    if (r.claimed === 0) return reports;
  }
  throw new Error(`deliveries still due after ${maxRounds} rounds`);
}
