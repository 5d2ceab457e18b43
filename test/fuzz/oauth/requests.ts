// Issue #3: requests to the token, introspection and revocation endpoints (and the public GETs)
// as plain data, for the OAuth fuzz suite (moved out of test/fuzz/oauth-fuzz.test.ts by issue #9).
// `@@name@@` placeholders stand for the seeded client IDs, secrets and tokens, and token mutations
// are recipes applied to the live token just before sending, so counterexamples shrink and print
// readably.
import fc from 'fast-check';
import { FORM } from '../support/config.ts';
import { show } from '../support/harness.ts';
import { placeholder } from '../support/placeholders.ts';

/** Stays well under Node's 16 KiB header limit, which would answer 431 before Portico sees anything. */
export const MAX_HEADER_PART = 6_000;

export const TOKEN = '/oauth2/token';
export const INTROSPECTION = '/oauth2/introspection';
export const REVOKE = '/oauth2/revoke';
export const POSTS = [TOKEN, INTROSPECTION, REVOKE] as const;
export const GETS = ['/oauth2/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;
export type PostPath = (typeof POSTS)[number];
export type GetPath = (typeof GETS)[number];
export type Endpoint = PostPath | GetPath;

export const isPost = (e: Endpoint): e is PostPath => (POSTS as readonly string[]).includes(e);

export type Part = 0 | 1 | 2;

/** A recipe that turns the live token into a forged, damaged or non-canonical one. */
export type Mutation =
  /** Replace one character of a part (`at` per mille of its length; -1 = the last character). */
  | { readonly op: 'flip'; readonly part: Part; readonly at: number; readonly char: string }
  /** Rewrite the unused low bits of a part's last base64url character (same bytes, different text). */
  | { readonly op: 'trailing-bits'; readonly part: Part; readonly bits: number }
  /** A new header with another `alg` and the same, no or a random kid; signature kept, dropped or an HMAC keyed with the public key. */
  | { readonly op: 'alg'; readonly alg: string; readonly kid: 'same' | 'none' | 'random'; readonly sig: 'keep' | 'empty' | 'omit' | 'hmac-pem' | 'hmac-jwk' | 'hmac-n' }
  /** The same header with another kid (any JSON value). */
  | { readonly op: 'kid'; readonly kid: unknown }
  /** The same header values, re-serialised (whitespace, key order). */
  | { readonly op: 'reheader'; readonly indent: number; readonly reverse: boolean }
  /** Claims changed or dropped, signature kept. */
  | { readonly op: 'claims'; readonly patch: Readonly<Record<string, unknown>>; readonly drop: readonly string[] }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'dots'; readonly where: 'start' | 'end' | 'inside' | 'double'; readonly n: number; readonly at: number }
  | { readonly op: 'huge'; readonly part: Part | 'suffix'; readonly unit: string; readonly n: number }
  /** One part taken from the other live token (the header is the same in both). */
  | { readonly op: 'splice'; readonly part: 1 | 2 }
  | { readonly op: 'wrap'; readonly before: string; readonly after: string };

/** A form value: encoded text (placeholders allowed), or the endpoint's live token after mutations. */
export type Value = { readonly text: string } | { readonly token: readonly Mutation[]; readonly enc: 'component' | 'every' | 'raw' };

export interface Pair {
  /** Encoded name. */
  readonly key: string;
  readonly eq: '=' | '' | '==';
  readonly value: Value;
}

export type Body = { readonly form: readonly Pair[]; readonly sep: string } | { readonly raw: string | Uint8Array };

/** The Authorization header: none, Basic built from (placeholder) parts, Basic over arbitrary text, or a verbatim value. */
export type Auth =
  | null
  | { readonly basic: { readonly user: string; readonly pass: string; readonly encode: boolean; readonly scheme: string } }
  | { readonly b64: string; readonly scheme: string }
  | { readonly header: string };

export interface Case {
  readonly endpoint: Endpoint;
  readonly method: string;
  /** The endpoint's path, or a near miss of it. */
  readonly path: string;
  /** '' or '?...', encoded. */
  readonly query: string;
  readonly auth: Auth;
  readonly contentType: string | null;
  readonly body: Body | null;
  readonly extra: Readonly<Record<string, string>>;
}

export const PLACEHOLDERS = ['m2m', 'm2m_secret', 'oauth', 'oauth_secret', 'key', 'token', 'kid'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export const ph = (name: Placeholder) => placeholder(name);

export const basic = (user: string, pass: string, encode = true, scheme = 'Basic '): Auth => ({ basic: { user, pass, encode, scheme } });
export const p = (key: string, value: Value): Pair => ({ key, eq: '=', value });

function summarizeValue(v: Value): string {
  if ('text' in v) return show(v.text, 120);
  return `<${v.token.length === 0 ? 'live token' : `token ${v.token.map((m) => JSON.stringify(m)).join(' then ')}`}, ${v.enc}>`;
}

export function summarize(c: Case): string {
  let body = '';
  if (c.body !== null) {
    if ('form' in c.body) body = ` form(sep ${JSON.stringify(c.body.sep)})=[${c.body.form.map((x) => `${show(x.key, 60)}${x.eq}${x.eq === '' ? '' : summarizeValue(x.value)}`).join(', ')}]`;
    else body = typeof c.body.raw === 'string' ? ` body=${show(c.body.raw, 200)}` : ` body=bytes:${Buffer.from(c.body.raw).subarray(0, 100).toString('hex')} (${c.body.raw.length} bytes)`;
  }
  const headers = Object.entries(c.extra).map(([k, v]) => `${k}=${show(v, 60)}`).join(' ');
  return `${c.method} ${c.path}${c.query.slice(0, 200)} auth=${JSON.stringify(c.auth)?.slice(0, 300)} ct=${JSON.stringify(c.contentType)} [${headers}]${body}`;
}

export interface CaseParts {
  readonly endpoint: Endpoint;
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  readonly auth?: Auth;
  readonly contentType?: string | null;
  readonly body?: Body | null;
  readonly extra?: Record<string, string>;
}

export function build(p: CaseParts): Case {
  const method = p.method ?? (isPost(p.endpoint) ? 'POST' : 'GET');
  const bodyless = method === 'GET' || method === 'HEAD';
  const c: Case = {
    endpoint: p.endpoint,
    method,
    path: p.path ?? p.endpoint,
    query: p.query ?? '',
    auth: p.auth === undefined ? basic(ph('m2m'), ph('m2m_secret')) : p.auth,
    contentType: p.contentType === undefined ? FORM : p.contentType,
    body: bodyless ? null : (p.body ?? null),
    extra: p.extra ?? {},
  };
  // Counterexamples can carry 70 KiB bodies: fast-check prints this summary instead.
  Object.defineProperty(c, fc.toStringMethod, { value: () => summarize(c), enumerable: false, configurable: true });
  return c;
}
