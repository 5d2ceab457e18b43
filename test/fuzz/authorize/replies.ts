// Issue #4: sending a generated request of the authorization flow, and the checks shared by
// every answer (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9).
import assert from 'node:assert/strict';
import { describeRequest, sendGenerated, show } from '../support/harness.ts';
import type { Client, Tri, World } from './world.ts';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly what: string;
  readonly location: string | null;
}

const LIMITS = { url: 1500, header: 400, body: 1500 };

/** Sends a generated request (bounded in time, no redirects followed): never a 5xx. */
export async function send(w: World, method: string, url: string, headers: Record<string, string>, body: Uint8Array | null): Promise<Reply> {
  const what = describeRequest(method, url, headers, body, LIMITS);
  const res = await sendGenerated(w.statuses, method, url, headers, body, what);
  // What Response.text() makes of the bytes (UTF-8, a BOM dropped).
  const text = new TextDecoder().decode(res.bytes);
  const reply = { status: res.status, headers: res.headers, text, what, location: res.headers.get('location') };
  assert.ok(res.status < 500, `server error ${res.status} ${show(text)}\n${what}`);
  return reply;
}

export const count = (w: World, outcome: string) => w.outcomes.set(outcome, (w.outcomes.get(outcome) ?? 0) + 1);

export const tag = (r: Reply) => `${r.status} ${r.location !== null ? `Location: ${r.location}` : show(r.text, 200)}\n${r.what}`;

/** An HTML error page (or page step): never a redirect, never framed, never cached. */
export function assertPage(r: Reply, statuses: 'error' | 'ok'): void {
  if (statuses === 'error') assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx error page: ${tag(r)}`);
  else assert.equal(r.status, 200, `expected a page: ${tag(r)}`);
  assert.equal(r.location, null, `a page with a Location: ${tag(r)}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html\b/, `not an HTML page: ${tag(r)}`);
  assert.equal(r.headers.get('x-frame-options'), 'DENY', `page without X-Frame-Options: DENY: ${tag(r)}`);
  assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `page without frame-ancestors 'none': ${tag(r)}`);
  assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `page without Cache-Control: no-store: ${tag(r)}`);
}

/**
 * Whether `uri` is a redirect URI registered for `client`: exact string
 * match (RFC 9700 §4.1.3), except that a loopback IP URI matches on any port
 * 0-65535, an explicit :80 included (RFC 8252 §7.3, OAuth 2.1 §8.4.2). A
 * zero-padded port names the same socket in a spelling nobody registers:
 * either answer is acceptable.
 */
export function redirectAllowed(client: Client, uri: string): Tri {
  if (client.redirects.includes(uri)) return true;
  let verdict: Tri = false;
  for (const registered of client.redirects) {
    const reg = /^http:\/\/(127\.0\.0\.1|\[::1\])(\/.*)$/.exec(registered);
    if (!reg) continue;
    const m = /^http:\/\/(127\.0\.0\.1|\[::1\]):(\d+)(\/.*)$/.exec(uri);
    if (!m || m[1] !== reg[1] || m[3] !== reg[2] || Number(m[2]) > 65_535) continue;
    if (/^(0|[1-9]\d*)$/.test(m[2]!)) return true;
    verdict = 'either';
  }
  return verdict;
}

/** The URL a browser goes to for `uri` (WHATWG serialisation: `http://127.0.0.1:80/cb` is `http://127.0.0.1/cb`). */
function serialised(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}

/** A redirect back to the client: the base is the URI of the request (as given or serialised), registered, with exactly one `iss`. */
export function assertClientRedirect(w: World, r: Reply, client: Client, redirectUri: string): URLSearchParams {
  const location = r.location ?? '';
  const q = location.indexOf('?');
  const base = q === -1 ? location : location.slice(0, q);
  assert.ok(base === redirectUri || base === serialised(redirectUri), `redirect to a URI other than the request's (${show(redirectUri)}): ${tag(r)}`);
  assert.notEqual(redirectAllowed(client, base), false, `redirect to a URI not registered for ${client.name}: ${tag(r)}`);
  const params = new URLSearchParams(q === -1 ? '' : location.slice(q + 1));
  assert.deepEqual(params.getAll('iss'), [w.issuer], `client redirect without iss = issuer (RFC 9207): ${tag(r)}`);
  assert.ok(params.has('code') !== params.has('error'), `a client redirect carries exactly one of code and error: ${tag(r)}`);
  assert.ok(!location.includes('#'), `client redirect with a fragment: ${tag(r)}`);
  return params;
}

/** RFC 6749 §4.1.2.1 and §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
export function assertErrorDescription(description: string | null | undefined, context: string): void {
  if (description === null || description === undefined) return;
  assert.match(description, /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/, `error_description outside the RFC 6749 character set: ${show(description)}: ${context}`);
}

/** Where a redirect goes: one of Portico's own steps (parsed, never by prefix), or away. */
export function serverStep(w: World, r: Reply): string | null {
  let url: URL;
  try {
    url = new URL(r.location ?? '');
  } catch {
    assert.fail(`Location is not an absolute URL: ${tag(r)}`);
  }
  return url.origin === w.origin ? url.pathname : null;
}

export const SERVER_STEPS = new Set(['/dev/login', '/oauth2/authorize/consent', '/oauth2/authorize/organization', '/oauth2/authorize/continue', '/oauth2/authorize/complete']);
