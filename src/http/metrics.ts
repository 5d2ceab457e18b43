import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Latency buckets in seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const HELP: Record<string, { type: 'counter' | 'histogram'; help: string }> = {
  portico_tokens_issued_total: { type: 'counter', help: 'Access tokens issued, by grant type.' },
  portico_token_errors_total: { type: 'counter', help: 'Token endpoint failures, by grant type and OAuth error code.' },
  portico_authorize_throttled_total: { type: 'counter', help: 'Authorizations refused with 429 because an address or a client started too many in a minute.' },
  portico_outbound_requests_total: { type: 'counter', help: 'Outbound requests (metadata documents, jwks_uri), by purpose and outcome (HTTP status or failure).' },
  portico_worker_requests_total: { type: 'counter', help: 'HTTP requests answered, by serving process (node:cluster worker ID; 0 without workers).' },
  portico_http_request_duration_seconds: { type: 'histogram', help: 'HTTP request latency, by method, route and status.' },
};

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A plain-JSON copy of every series, so worker processes can send theirs to the primary. */
export interface MetricsSnapshot {
  counters: Record<string, Record<string, number>>;
  histograms: Record<string, Record<string, Histogram>>;
}

const labelKeys = new Map<string, string>();

/** `a="x",b="y"` with names sorted; memoised, since the same few label sets recur on every request. */
function labelKey(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels);
  const raw = names.map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
  let key = labelKeys.get(raw);
  if (key === undefined) {
    key = names
      .sort()
      .map((k) => `${k}="${labels[k]!.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    // Bounded: label values come from route patterns and status codes, but never trust that blindly.
    if (labelKeys.size < 10_000) labelKeys.set(raw, key);
  }
  return key;
}

/** One counter series, its label key built once (issue #12: the token path increments it per token). */
export interface Counter {
  inc(by?: number): void;
}

function record(h: Histogram, seconds: number): void {
  for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
  h.sum += seconds;
  h.count++;
}

/** In-process counters and histograms in the Prometheus text format. */
export class Metrics {
  readonly #snap: MetricsSnapshot = { counters: {}, histograms: {} };
  /** Request-latency series by `method status route`: one string and one lookup per request instead of a label key. */
  readonly #requests = new Map<string, Histogram>();

  inc(name: string, labels: Readonly<Record<string, string>>, by = 1): void {
    const series = (this.#snap.counters[name] ??= {});
    const key = labelKey(labels);
    series[key] = (series[key] ?? 0) + by;
  }

  /** A handle on one counter series, for call sites that increment the same labels again and again. */
  counter(name: string, labels: Readonly<Record<string, string>>): Counter {
    const series = (this.#snap.counters[name] ??= {});
    const key = labelKey(labels);
    series[key] ??= 0;
    return { inc: (by = 1) => void (series[key]! += by) };
  }

  observe(name: string, labels: Readonly<Record<string, string>>, seconds: number): void {
    record(this.#histogram(name, labels), seconds);
  }

  /** portico_http_request_duration_seconds of one answered request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const k = `${method} ${status} ${route}`;
    let h = this.#requests.get(k);
    if (h === undefined) {
      h = this.#histogram('portico_http_request_duration_seconds', { method, route, status: String(status) });
      if (this.#requests.size < 10_000) this.#requests.set(k, h);
    }
    record(h, seconds);
  }

  #histogram(name: string, labels: Readonly<Record<string, string>>): Histogram {
    const series = (this.#snap.histograms[name] ??= {});
    return (series[labelKey(labels)] ??= { counts: BUCKETS.map(() => 0), sum: 0, count: 0 });
  }

  snapshot(): MetricsSnapshot {
    return structuredClone(this.#snap);
  }
}

/** Sums snapshots from several processes. */
export function mergeSnapshots(snaps: readonly MetricsSnapshot[]): MetricsSnapshot {
  const out: MetricsSnapshot = { counters: {}, histograms: {} };
  for (const s of snaps) {
    for (const [name, series] of Object.entries(s.counters)) {
      const o = (out.counters[name] ??= {});
      for (const [k, v] of Object.entries(series)) o[k] = (o[k] ?? 0) + v;
    }
    for (const [name, series] of Object.entries(s.histograms)) {
      const o = (out.histograms[name] ??= {});
      for (const [k, h] of Object.entries(series)) {
        const t = (o[k] ??= { counts: BUCKETS.map(() => 0), sum: 0, count: 0 });
        h.counts.forEach((c, i) => (t.counts[i]! += c));
        t.sum += h.sum;
        t.count += h.count;
      }
    }
  }
  return out;
}

/** Prometheus text exposition format 0.0.4. */
export function renderPrometheus(snap: MetricsSnapshot): string {
  const lines: string[] = [];
  for (const [name, meta] of Object.entries(HELP)) {
    lines.push(`# HELP ${name} ${meta.help}`, `# TYPE ${name} ${meta.type}`);
    if (meta.type === 'counter') {
      for (const [k, v] of Object.entries(snap.counters[name] ?? {})) lines.push(`${name}{${k}} ${v}`);
    } else {
      for (const [k, h] of Object.entries(snap.histograms[name] ?? {})) {
        const sep = k === '' ? '' : ',';
        BUCKETS.forEach((b, i) => lines.push(`${name}_bucket{${k}${sep}le="${b}"} ${h.counts[i]}`));
        lines.push(`${name}_bucket{${k}${sep}le="+Inf"} ${h.count}`, `${name}_sum{${k}} ${h.sum}`, `${name}_count{${k}} ${h.count}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Constant-time check of `Authorization: Bearer <token>`. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Times every request by route pattern (never the raw URL: IDs would explode
 * the label space) and, when `exposure` allows it, serves `/metrics` on this
 * application (behind `exposure.token` if set). `collect` gathers every
 * process's snapshot when running as a cluster.
 */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics, collect: () => Promise<MetricsSnapshot>, exposure: { token: string | null } | null, workerId = 0): void {
  const answered = metrics.counter('portico_worker_requests_total', { worker: String(workerId) });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    answered.inc();
  });
  if (exposure === null) return;
  app.get('/metrics', async (request, reply) => {
    if (exposure.token !== null && !bearerMatches(request.headers.authorization, exposure.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ message: 'Unauthorized: /metrics needs Authorization: Bearer <PORTICO_METRICS_TOKEN>.', code: 'unauthorized' });
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderPrometheus(await collect()));
  });
}

/**
 * `/metrics` on a listener of its own (PORTICO_METRICS_PORT, bound to
 * PORTICO_METRICS_HOST, 127.0.0.1 by default), so the public port never
 * serves it. Plain node:http: nothing else is answered there. With several
 * workers each listens on the same port (node:cluster shares it) and answers
 * with the sum over all workers.
 */
export function startMetricsListener(options: { port: number; host: string; token: string | null }, collect: () => Promise<MetricsSnapshot>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (options.token !== null && !bearerMatches(req.headers.authorization, options.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
      return;
    }
    collect()
      .then((snap) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderPrometheus(snap)))
      .catch(() => res.writeHead(500).end());
  });
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
