// Issue #9 (item 7): the HTTP harness the fuzz suites share (issues #2, #3, #4 each had a copy).
//
// Two kinds of request: the harness's own (seeding, clean exchanges, health
// checks), which throw when they fail, and generated ones, which fail the
// property run with a readable description of what was sent. Both are bounded
// by REQUEST_TIMEOUT_MS, so a hang fails the run, and neither follows redirects.
import assert from 'node:assert/strict';
import { REQUEST_TIMEOUT_MS } from './config.ts';

export interface HarnessInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A request of the harness itself (not fuzzed): bounded in time, redirects not followed; a failure throws, naming the request. */
export async function harness(url: string, init: HarnessInit = {}): Promise<Response> {
  const method = init.method ?? 'GET';
  try {
    return await fetch(url, { method, redirect: 'manual', headers: init.headers ?? {}, ...(init.body !== undefined && { body: init.body }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const why = (err as { name?: string }).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;
    throw new Error(`harness request ${method} ${url}: ${why}`, { cause: err });
  }
}

/** HTTP Basic credentials, each part form-encoded first (RFC 6749 §2.3.1). */
export const basicHeader = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A JSON string of `value`, cut after `max` characters. */
export function show(value: string, max = 300): string {
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}... (${value.length} chars)` : s;
}

/** How much of the URL, each header value and the body a request description shows. */
export interface DescribeLimits {
  readonly url: number;
  readonly header: number;
  readonly body: number;
}

/** What was sent, for a counterexample: the request line, the headers, the body (and its bytes when they are not UTF-8). */
export function describeRequest(method: string, url: string, headers: Record<string, string>, body: Uint8Array | null, limits: DescribeLimits): string {
  const lines = [`${method} ${url.length > limits.url ? `${url.slice(0, limits.url)}... (${url.length} chars)` : url}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`  ${k}: ${show(v, limits.header)}`);
  if (body !== null) {
    const text = Buffer.from(body).toString('utf8');
    lines.push(`  body (${body.length} bytes): ${show(text, limits.body)}`);
    if (!Buffer.from(text, 'utf8').equals(Buffer.from(body))) lines.push(`  body hex (first 120 bytes): ${Buffer.from(body).subarray(0, 120).toString('hex')}`);
  }
  return lines.join('\n');
}

export interface Received {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
}

/**
 * Sends a generated request and counts its status in `statuses`. No answer
 * within REQUEST_TIMEOUT_MS (a hang) or a failed request fails the run with
 * `what`, the description of the request. Judging the answer is the caller's.
 */
export async function sendGenerated(statuses: Map<number, number>, method: string, url: string, headers: Record<string, string>, body: Uint8Array | null, what: string): Promise<Received> {
  let res: Response;
  let bytes: Uint8Array;
  try {
    res = await fetch(url, { method, headers, ...(body !== null && { body }), redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    const name = (err as { name?: string }).name;
    assert.fail(`${name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `request failed: ${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`}\n${what}`);
  }
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  return { status: res.status, headers: res.headers, bytes };
}

/** The statuses a property met, for its diagnostics: `200×12 400×80`. */
export function tally(statuses: Map<number, number>): string {
  return [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
}

/** Rejects when `promise` does not settle in time (the timer does not keep the process alive). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Both health probes answer 200 {"status":"ok"}. */
export async function assertHealthy(baseUrl: string): Promise<void> {
  for (const path of ['/health', '/health/ready']) {
    const res = await harness(`${baseUrl}${path}`);
    assert.equal(res.status, 200, path);
    assert.deepEqual(await res.json(), { status: 'ok' });
  }
}

/** The JSON of a body, read as strict UTF-8; undefined for an empty body. `notJson` fails the run when it is not JSON. */
export function jsonOf(bytes: Uint8Array, notJson: () => never): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return notJson();
  }
}
