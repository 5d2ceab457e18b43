// Issue #8: a small HTTP client for the fault suite: node:http with keep-alive, a hard deadline on
// every request (a hung server must show up as a timeout, never hang the suite), and no retries
// (a retry would blur which requests the server acknowledged).
import http, { type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** Milliseconds from sending to the last byte of the answer. */
  readonly ms: number;
}

/** The request got no HTTP answer: the connection failed or was cut, or the deadline passed. */
export class NoAnswer extends Error {
  readonly timedOut: boolean;
  readonly ms: number;
  constructor(message: string, timedOut: boolean, ms: number) {
    super(message);
    this.timedOut = timedOut;
    this.ms = ms;
  }
}

export interface RequestOptions {
  readonly body?: unknown;
  /** application/x-www-form-urlencoded body. */
  readonly form?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** Send the management API key (default true). */
  readonly apiKey?: boolean;
  readonly basic?: { readonly id: string; readonly secret: string };
}

export function basicHeader(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export class HttpClient {
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, apiKey: string, options: { timeoutMs?: number; maxSockets?: number } = {}) {
    this.#url = new URL(baseUrl);
    this.#apiKey = apiKey;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiKey !== false && !options.basic && !options.form) headers.authorization = `Bearer ${this.#apiKey}`;
    if (options.basic) headers.authorization = basicHeader(options.basic.id, options.basic.secret);
    let payload: string | undefined;
    if (options.form) {
      payload = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    const started = performance.now();
    return new Promise<Answer>((resolve, reject) => {
      let timedOut = false;
      const req = http.request(
        { host: this.#url.hostname, port: this.#url.port, method, path, headers, agent: this.#agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started });
          });
          res.on('error', (err) => {
            clearTimeout(timer);
            reject(new NoAnswer(`${method} ${path}: ${err.message}`, timedOut, performance.now() - started));
          });
        },
      );
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new NoAnswer(`${method} ${path}: ${err.message}`, timedOut, performance.now() - started));
      });
      req.end(payload);
    });
  }

  /** client_credentials with client_secret_basic. */
  token(clientId: string, secret: string): Promise<Answer> {
    return this.request('POST', '/oauth2/token', { form: { grant_type: 'client_credentials' }, basic: { id: clientId, secret } });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The JSON body of an answer. */
export function json<T>(answer: Answer): T {
  return JSON.parse(answer.text) as T;
}
