import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One autocannon run's raw outcome, measured by us rather than taken from autocannon's 1 s ticks. */
export interface LoadOutcome {
  /** Responses received, any status. */
  readonly responses: number;
  /** Responses with the expected status (any 2xx unless the spec names one). */
  readonly expected: number;
  /** Latencies of the expected responses, ms (float; autocannon's own histogram rounds to whole ms). */
  readonly latenciesMs: number[];
  readonly non2xx: number;
  readonly unexpected: number;
  readonly statusCounts: Record<string, number>;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  /** From the start of the run to the last response: the window the responses were served in. */
  readonly activeMs: number;
  /** A few unexpected response bodies and request errors, for the report. */
  readonly problems: string[];
}

export interface LoadSpec {
  readonly baseUrl: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly method: 'GET' | 'POST';
  /** The path of every request (unless `next` gives one). */
  readonly path: string;
  /** Headers of every request. */
  readonly headers: Record<string, string>;
  /** The body of every request (unless `next` gives one). */
  readonly body?: string;
  /** The status that counts as success; undefined: any 2xx. */
  readonly expectStatus?: number;
  /**
   * The path and/or body of each request (autocannon's setupRequest).
   * `context` is the request's own: autocannon hands the same object to
   * `onResponse` for its response, and replaces it before the next request of
   * the connection (with a one-entry `requests` list, the sequence restarts,
   * and the context with it, on every request).
   */
  readonly next?: (context: Record<string, unknown>) => { readonly path?: string; readonly body?: string };
  /** Every response with its body and the context of its request (before the latency is recorded). */
  readonly onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  /**
   * Stops after this many requests in all (autocannon gives every connection an
   * equal share): a run that must not send more requests than it has bodies or capacity for.
   */
  readonly maxOverallRequests?: number;
}

const MAX_PROBLEMS = 5;

/** Runs autocannon (in this process; the servers are other processes). */
export async function runLoad(spec: LoadSpec): Promise<LoadOutcome> {
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const problems: string[] = [];
  let responses = 0;
  let expected = 0;
  let non2xx = 0;
  let unexpected = 0;
  let lastResponseAt = 0;
  const is2xx = (status: number) => status >= 200 && status <= 299;
  const isExpected = spec.expectStatus === undefined ? is2xx : (status: number) => status === spec.expectStatus;

  // onResponse sees the body (a few unexpected ones are kept), the `response` event the latency.
  const request: autocannon.Request = {
    method: spec.method,
    path: spec.path,
    onResponse(status, body, context) {
      if (!isExpected(status) && problems.length < MAX_PROBLEMS) problems.push(`HTTP ${status}: ${body.length > 300 ? `${body.slice(0, 300)}...` : body}`);
      spec.onResponse?.(status, body, context);
    },
  };
  if (spec.body !== undefined) request.body = spec.body;
  const next = spec.next;
  if (next !== undefined) {
    request.setupRequest = (req, context) => {
      const n = next(context);
      if (n.path !== undefined) req.path = n.path;
      if (n.body !== undefined) req.body = n.body;
      return req;
    };
  }

  const options: autocannon.Options = {
    url: spec.baseUrl,
    connections: spec.connections,
    duration: spec.durationSec,
    pipelining: 1,
    timeout: 30,
    headers: spec.headers,
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
    if (!is2xx(statusCode)) non2xx++;
    if (isExpected(statusCode)) {
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

/** Several runs (segments, laps, rounds) as one: counts added, latencies and windows joined, distinct problems kept. */
export function mergeOutcomes(parts: readonly LoadOutcome[]): LoadOutcome {
  const statusCounts: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  const sum = (pick: (o: LoadOutcome) => number) => parts.reduce((n, o) => n + pick(o), 0);
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
    problems: [...new Set(parts.flatMap((o) => o.problems))].slice(0, MAX_PROBLEMS),
  };
}

/** Nearest-rank percentile of unsorted samples (sorts a copy); NaN for each when there are none. */
export function percentiles(samples: readonly number[], ps: readonly number[]): number[] {
  if (samples.length === 0) return ps.map(() => Number.NaN);
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
}

/** The latency columns of a result row. */
export interface LatencySummary {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function latencySummary(latenciesMs: readonly number[]): LatencySummary {
  const [p50Ms = Number.NaN, p90Ms = Number.NaN, p99Ms = Number.NaN, maxMs = Number.NaN] = percentiles(latenciesMs, [50, 90, 99, 100]);
  return { p50Ms, p90Ms, p99Ms, maxMs };
}

/** Median of the finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
