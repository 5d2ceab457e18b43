import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One token-endpoint load run, as seen by the load generator. */
export interface TokenLoadOutcome {
  readonly responses: number;
  /** Responses with the expected status (200 for token runs, 401 for wrong-secret runs). */
  readonly expected: number;
  /** Latencies of the expected responses, ms (float; autocannon's own histogram rounds to whole ms). */
  readonly latenciesMs: number[];
  readonly non2xx: number;
  readonly unexpected: number;
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  /** From the start of the run to the last response: the window the responses were served in. */
  readonly activeMs: number;
  /** A few unexpected response bodies and request errors. */
  readonly problems: string[];
}

/** Several runs (segments) as one: counts added, latencies and windows joined. */
export function mergeOutcomes(parts: readonly TokenLoadOutcome[]): TokenLoadOutcome {
  const statusCounts: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  const sum = (pick: (o: TokenLoadOutcome) => number) => parts.reduce((n, o) => n + pick(o), 0);
  return {
    responses: sum((o) => o.responses),
    expected: sum((o) => o.expected),
    latenciesMs: parts.flatMap((o) => o.latenciesMs),
    non2xx: sum((o) => o.non2xx),
    unexpected: sum((o) => o.unexpected),
    statusCounts,
    errors: sum((o) => o.errors),
    timeouts: sum((o) => o.timeouts),
    activeMs: sum((o) => o.activeMs),
    problems: parts.flatMap((o) => o.problems).slice(0, MAX_PROBLEMS),
  };
}

export interface TokenLoadSpec {
  readonly baseUrl: string;
  readonly path: string;
  readonly connections: number;
  readonly durationSec: number;
  /** The full Authorization header value. */
  readonly authorization: string;
  /** The form body (with `nextBody`, a placeholder: every request gets its own). */
  readonly body: string;
  readonly expectStatus: number;
  /**
   * A fresh body for every request (autocannon's setupRequest). `context` is
   * the request's own: autocannon hands the same object to `onBody` for its
   * response, and replaces it before the next request of the connection (with
   * a one-entry `requests` list, the sequence restarts, and the context with
   * it, on every request).
   */
  readonly nextBody?: (context: Record<string, unknown>) => string;
  /** Every response with its body and the context of its request (before the latency is recorded). */
  readonly onBody?: (status: number, body: string, context: Record<string, unknown>) => void;
  /**
   * Stops after this many requests in all (autocannon gives every connection an
   * equal share): a run that must not send more requests than it has bodies for.
   */
  readonly maxOverallRequests?: number;
}

const MAX_PROBLEMS = 5;

/**
 * Runs autocannon (in this process; the servers are other processes):
 * `POST path` with a form body (fixed, or one per request from `nextBody`)
 * and a fixed Authorization header.
 */
export async function runTokenLoad(spec: TokenLoadSpec): Promise<TokenLoadOutcome> {
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const problems: string[] = [];
  let responses = 0;
  let expected = 0;
  let non2xx = 0;
  let unexpected = 0;
  let lastResponseAt = 0;

  const request: autocannon.Request = {
    method: 'POST',
    path: spec.path,
    headers: {
      authorization: spec.authorization,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: spec.body,
    onResponse(status, body, context) {
      if (status !== spec.expectStatus && problems.length < MAX_PROBLEMS) {
        problems.push(`HTTP ${status}: ${body.length > 300 ? `${body.slice(0, 300)}...` : body}`);
      }
      spec.onBody?.(status, body, context);
    },
  };
  const nextBody = spec.nextBody;
  if (nextBody !== undefined) {
    request.setupRequest = (req, context) => {
      req.body = nextBody(context);
      return req;
    };
  }

  const options: autocannon.Options = {
    url: spec.baseUrl,
    connections: spec.connections,
    duration: spec.durationSec,
    pipelining: 1,
    timeout: 30,
    requests: [request],
  };
  if (spec.maxOverallRequests !== undefined) {
    // autocannon gives a connection whose share is 0 no limit at all.
    if (spec.maxOverallRequests < spec.connections) throw new Error(`maxOverallRequests (${spec.maxOverallRequests}) below connections (${spec.connections})`);
    options.maxOverallRequests = spec.maxOverallRequests;
  }

  const started = performance.now();
  const instance = autocannon(options);
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    responses++;
    lastResponseAt = performance.now();
    const key = String(statusCode);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    if (statusCode < 200 || statusCode > 299) non2xx++;
    if (statusCode === spec.expectStatus) {
      expected++;
      latenciesMs.push(responseTime);
    } else {
      unexpected++;
    }
  });
  instance.on('reqError', (err) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`request error: ${err.message}`);
  });
  const result = await instance;
  return {
    responses,
    expected,
    latenciesMs,
    non2xx,
    unexpected,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    activeMs: (lastResponseAt > 0 ? lastResponseAt : performance.now()) - started,
    problems,
  };
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded, then joined and base64-encoded. */
export function basicAuth(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}
