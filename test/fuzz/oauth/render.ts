// Issue #3: a request of the OAuth fuzz suite, rendered against the live world just before it is
// sent (moved out of test/fuzz/oauth-fuzz.test.ts by issue #9).
import { mutated } from './mutations.ts';
import type { Auth, Case, Endpoint, Value } from './requests.ts';
import { liveToken, resolveIn as resolve, type Ctx } from './world.ts';

const percentEvery = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

function renderValue(v: Value, ctx: Ctx, endpoint: Endpoint): string {
  const live = liveToken(ctx, endpoint);
  if ('text' in v) return resolve(v.text, ctx, live);
  const t = mutated(ctx, endpoint, v.token);
  return v.enc === 'every' ? percentEvery(t) : v.enc === 'raw' ? t : encodeURIComponent(t.toWellFormed());
}

function renderAuth(a: Auth, ctx: Ctx, live: string): string | null {
  if (a === null) return null;
  if ('basic' in a) {
    const part = (s: string) => (a.basic.encode ? encodeURIComponent(resolve(s, ctx, live).toWellFormed()) : resolve(s, ctx, live));
    return `${a.basic.scheme}${Buffer.from(`${part(a.basic.user)}:${part(a.basic.pass)}`, 'utf8').toString('base64')}`;
  }
  if ('b64' in a) return `${a.scheme}${Buffer.from(resolve(a.b64, ctx, live), 'utf8').toString('base64')}`;
  return resolve(a.header, ctx, live);
}

export interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | null;
}

export function render(c: Case, ctx: Ctx): Sent {
  const live = liveToken(ctx, c.endpoint);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.extra)) headers[k] = resolve(v, ctx, live);
  const auth = renderAuth(c.auth, ctx, live);
  if (auth !== null) headers.authorization = auth;
  let body: Uint8Array | null = null;
  if (c.body !== null) {
    if ('form' in c.body) {
      const text = c.body.form.map((p) => `${p.key}${p.eq}${p.eq === '' ? '' : renderValue(p.value, ctx, c.endpoint)}`).join(c.body.sep);
      body = new Uint8Array(Buffer.from(text, 'utf8'));
    } else {
      body = typeof c.body.raw === 'string' ? new Uint8Array(Buffer.from(resolve(c.body.raw, ctx, live), 'utf8')) : c.body.raw;
    }
    if (c.contentType !== null) headers['content-type'] = c.contentType;
  }
  return { method: c.method, url: `${ctx.server.baseUrl}${c.path}${resolve(c.query, ctx, live)}`, headers, body };
}

export function formToken(body: Uint8Array | null): string | undefined {
  if (body === null) return undefined;
  const text = Buffer.from(body).toString('utf8');
  const raw = text.split('&').filter((pair) => pair.startsWith('token=')).map((pair) => pair.slice('token='.length));
  // Issue #8: a token whose escapes are not UTF-8 is refused like a missing one (400 invalid_request),
  // where URLSearchParams would have put U+FFFD in its place.
  if (raw.some((v) => !strictUtf8Value(v))) return undefined;
  const values = new URLSearchParams(text).getAll('token').filter((v) => v !== '');
  return values.length === 1 ? values[0] : undefined;
}

/** Whether a raw form value's percent-escapes decode to UTF-8. */
function strictUtf8Value(raw: string): boolean {
  const bytes = Buffer.concat(raw.split(/(%[0-9A-Fa-f]{2})/).map((part) => (/^%[0-9A-Fa-f]{2}$/.test(part) ? Buffer.from(part.slice(1), 'hex') : Buffer.from(part.replace(/\+/g, ' ')))));
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
