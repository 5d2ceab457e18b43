import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One autocannon run's raw outcome, measured by us rather than taken from autocannon's 1 s ticks. */
export interface LoadOutcome {
  /** Responses received, any status. */
  readonly responses: number;
  /** Latencies of the 2xx responses, ms (float; autocannon's histogram rounds to whole ms). */
  readonly latenciesMs: number[];
  readonly non2xx: number;
  readonly statusCounts: Record<string, number>;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  /** From the call to the last response: the window the responses were served in. */
  readonly activeMs: number;
  /** A few non-2xx bodies and request errors, for the report. */
  readonly problems: string[];
}

export interface LoadSpec {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly requests: autocannon.Request[];
  /** Ends the run early once this many requests were sent. */
  readonly maxOverallRequests?: number;
}

const MAX_PROBLEMS = 5;

/** Runs autocannon against the server (in this process; the server is another one). */
export async function runLoad(spec: LoadSpec): Promise<LoadOutcome> {
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const problems: string[] = [];
  let responses = 0;
  let non2xx = 0;
  let lastResponseAt = 0;

  // Capture a few non-2xx bodies: onResponse sees the body, the `response` event the latency.
  const requests = spec.requests.map((r): autocannon.Request => {
    const user = r.onResponse;
    return {
      ...r,
      onResponse(status, body, context, headers) {
        if ((status < 200 || status > 299) && problems.length < MAX_PROBLEMS) {
          problems.push(`HTTP ${status}: ${body.length > 300 ? `${body.slice(0, 300)}...` : body}`);
        }
        user?.(status, body, context, headers);
      },
    };
  });

  const options: autocannon.Options = {
    url: spec.baseUrl,
    connections: spec.connections,
    duration: spec.durationSec,
    pipelining: 1,
    timeout: 30,
    headers: { authorization: `Bearer ${spec.apiKey}`, accept: 'application/json' },
    requests,
  };
  if (spec.maxOverallRequests !== undefined) options.maxOverallRequests = spec.maxOverallRequests;

  const started = performance.now();
  const instance = autocannon(options);
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    responses++;
    lastResponseAt = performance.now();
    const key = String(statusCode);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    if (statusCode >= 200 && statusCode <= 299) latenciesMs.push(responseTime);
    else non2xx++;
  });
  instance.on('reqError', (err) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`request error: ${err.message}`);
  });
  const result = await instance;
  return {
    responses,
    latenciesMs,
    non2xx,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    activeMs: (lastResponseAt > 0 ? lastResponseAt : performance.now()) - started,
    problems,
  };
}

/** Nearest-rank percentile of unsorted samples (sorts a copy). */
export function percentiles(samples: readonly number[], ps: readonly number[]): number[] {
  if (samples.length === 0) return ps.map(() => Number.NaN);
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
}
