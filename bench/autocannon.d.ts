/**
 * The part of autocannon 9's programmatic API the benchmarks use (the
 * package ships no types). See node_modules/autocannon/README.md, "API".
 */
declare module 'autocannon' {
  namespace autocannon {
    /** One entry of `requests`; `setupRequest` gets a fresh copy to mutate and return (falsy restarts the sequence). */
    interface Request {
      method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
      path?: string;
      headers?: Record<string, string>;
      body?: string;
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null;
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string | string[]>) => void;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds before a request counts as timed out (default 10). */
      timeout?: number;
      pipelining?: number;
      method?: Request['method'];
      headers?: Record<string, string>;
      requests?: Request[];
      /** Stops once this many requests were sent overall (spread over the connections). */
      maxOverallRequests?: number;
      title?: string;
    }

    /** hdr-histogram-percentiles-obj, as encoded in results. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      url: string;
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      mismatches: number;
      resets: number;
      latency: Histogram;
      requests: Histogram;
      throughput: Histogram;
      statusCodeStats: Record<string, { count: number }>;
      start: Date;
      finish: Date;
    }

    /** One connection; what `response` events hand over first. */
    interface Client {
      readonly opts: Readonly<Options>;
    }

    interface Instance extends PromiseLike<Result> {
      stop(): void;
      on(event: 'response', listener: (client: Client, statusCode: number, resBytes: number, responseTime: number) => void): this;
      on(event: 'reqError', listener: (error: Error) => void): this;
      on(event: 'start', listener: () => void): this;
    }
  }

  /** Starts a run at once; the instance resolves with the aggregated result. */
  function autocannon(options: autocannon.Options): autocannon.Instance;

  export = autocannon;
}
