import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TOKEN_PATH, USER_SCOPE } from './common.ts';

/**
 * Authorization codes and refresh tokens for the code-exchange and refresh
 * targets, made the way real clients get them: over HTTP through
 * GET /oauth2/authorize, the company's login (POST /authkit/oauth2/complete
 * with the API key, then the browser follows the one-time link it answers)
 * and the redirect to the client, whose Location carries the code. The
 * application is first-party, so there is no consent page, and the users
 * belong to no organization, so there is no organization page.
 *
 * Every simulated browser logs in once (three requests for its first code);
 * its later authorizations ride the Portico session cookie that login set,
 * as a returning user's would: one GET /oauth2/authorize per code.
 */

export const REDIRECT_URI = 'https://app.bench.example/callback';
/** Simulated browsers making codes at once (each one sequential, like a real browser). */
const DEFAULT_BROWSERS = 16;
/** Batches smaller than this do not update CodeFactory.lastRate. */
const MIN_BATCH_FOR_RATE = 100;

/** A code as the client got it, with what it needs to redeem it. */
export interface IssuedCode {
  readonly code: string;
  readonly verifier: string;
  readonly nonce: string;
  /** performance.now() when the redirect carrying it arrived: codes live 60 s from about then. */
  readonly at: number;
}

/** Where and for which client codes are made. */
export interface FlowTarget {
  readonly baseUrl: string;
  /** The issuer: the URLs Portico hands out (login resume link) are on it, and are fetched on baseUrl instead. */
  readonly issuer: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly redirectUri: string;
}

/** Cookies a browser keeps per site here; beyond it, the one closest to expiring goes (browsers cap cookies per site too). */
const MAX_COOKIES = 20;

/**
 * A minimal cookie jar: one site, paths ignored, Max-Age honoured. The cap
 * matters when Portico sets a cookie per authorization (a browser making
 * hundreds of them keeps only the newest and its long-lived session cookie).
 */
class CookieJar {
  readonly #cookies = new Map<string, { value: string; expiresAt: number }>();

  store(res: Response): void {
    const now = Date.now();
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const maxAge = /;\s*Max-Age=(-?\d+)/i.exec(line)?.[1];
      const expiresAt = maxAge === undefined ? Number.POSITIVE_INFINITY : now + Number(maxAge) * 1000;
      this.#cookies.delete(name);
      if (expiresAt > now) this.#cookies.set(name, { value: pair.slice(eq + 1), expiresAt });
    }
    while (this.#cookies.size > MAX_COOKIES) {
      let first: string | null = null;
      let soonest = Number.POSITIVE_INFINITY;
      for (const [name, c] of this.#cookies) {
        if (first === null || c.expiresAt < soonest) {
          first = name;
          soonest = c.expiresAt;
        }
      }
      if (first === null) break;
      this.#cookies.delete(first);
    }
  }

  header(): string {
    const now = Date.now();
    const out: string[] = [];
    for (const [name, c] of this.#cookies) {
      if (c.expiresAt <= now) this.#cookies.delete(name);
      else out.push(`${name}=${c.value}`);
    }
    return out.join('; ');
  }
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** One browser with its own user and cookies. */
class Browser {
  readonly #target: FlowTarget;
  readonly #user: { id: string; email: string };
  readonly #jar = new CookieJar();
  requests = 0;
  logins = 0;

  constructor(target: FlowTarget, user: { id: string; email: string }) {
    this.#target = target;
    this.#user = user;
  }

  /** A URL Portico handed out, on the address we reach it at. */
  #local(url: string): string {
    const u = new URL(url, this.#target.baseUrl);
    return u.origin === new URL(this.#target.issuer).origin ? `${this.#target.baseUrl}${u.pathname}${u.search}` : u.toString();
  }

  async #get(url: string): Promise<Response> {
    const res = await fetch(this.#local(url), { redirect: 'manual', headers: { cookie: this.#jar.header() } });
    this.requests++;
    this.#jar.store(res);
    await res.arrayBuffer();
    return res;
  }

  /** One authorization, from /oauth2/authorize to the client's redirect. */
  async code(): Promise<IssuedCode> {
    const t = this.#target;
    const { verifier, challenge } = pkcePair();
    const nonce = randomBytes(16).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(`${t.baseUrl}/oauth2/authorize`);
    for (const [k, v] of Object.entries({
      client_id: t.clientId,
      redirect_uri: t.redirectUri,
      response_type: 'code',
      scope: USER_SCOPE,
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(k, v);
    }
    let res = await this.#get(authorize.toString());
    for (let step = 0; step < 4; step++) {
      const location = res.headers.get('location');
      if ((res.status !== 302 && res.status !== 303) || location === null) throw new Error(`authorize flow: HTTP ${res.status} without a redirect`);
      if (location.startsWith(`${t.redirectUri}?`)) {
        const callback = new URL(location);
        const code = callback.searchParams.get('code');
        if (code === null) throw new Error(`authorize flow ended without a code: ${location.slice(0, 300)}`);
        if (callback.searchParams.get('state') !== state) throw new Error('authorize flow: state mismatch');
        return { code, verifier, nonce, at: performance.now() };
      }
      const next = new URL(location, t.baseUrl);
      if (next.pathname !== '/dev/login') throw new Error(`authorize flow: unexpected step ${next.pathname} (a first-party app should need no page)`);
      // The company's backend vouches for the user; the browser follows the one-time link it gets back.
      const complete = await fetch(`${t.baseUrl}/authkit/oauth2/complete`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ external_auth_id: next.searchParams.get('external_auth_id'), user: this.#user }),
      });
      this.requests++;
      const text = await complete.text();
      if (complete.status !== 200) throw new Error(`POST /authkit/oauth2/complete: HTTP ${complete.status} ${text.slice(0, 300)}`);
      this.logins++;
      res = await this.#get((JSON.parse(text) as { redirect_uri: string }).redirect_uri);
    }
    throw new Error('authorize flow: too many steps');
  }
}

/** Makes codes with several browsers at once, in the order they arrive (oldest first). */
export class CodeFactory {
  readonly #browsers: Browser[];
  /** Codes per second of the last batch of at least MIN_BATCH_FOR_RATE codes. */
  lastRate: number | null = null;
  made = 0;

  constructor(target: FlowTarget, browsers = DEFAULT_BROWSERS) {
    const tag = randomBytes(4).toString('hex');
    this.#browsers = Array.from({ length: browsers }, (_, i) => new Browser(target, { id: `bench-${tag}-${i}`, email: `bench-${tag}-${i}@bench.example` }));
  }

  get browsers(): number {
    return this.#browsers.length;
  }

  get requests(): number {
    return this.#browsers.reduce((n, b) => n + b.requests, 0);
  }

  get logins(): number {
    return this.#browsers.reduce((n, b) => n + b.logins, 0);
  }

  async make(count: number): Promise<{ codes: IssuedCode[]; seconds: number }> {
    const codes: IssuedCode[] = [];
    const started = performance.now();
    let claimed = 0;
    let failed = false;
    await Promise.all(
      this.#browsers.map(async (b) => {
        while (!failed && claimed < count) {
          claimed++;
          try {
            codes.push(await b.code());
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    this.made += codes.length;
    // Small batches (the one code of a check, which includes a login) say little about the rate.
    if (codes.length >= MIN_BATCH_FOR_RATE) this.lastRate = codes.length / seconds;
    return { codes, seconds };
  }
}

/** A token response as JSON, with its status and Cache-Control. */
export interface TokenAnswer {
  readonly status: number;
  readonly cacheControl: string | null;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** POST /oauth2/token with a form and an Authorization header. */
export async function tokenRequest(baseUrl: string, authorization: string, form: Record<string, string>): Promise<TokenAnswer> {
  const res = await fetch(`${baseUrl}${TOKEN_PATH}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // left empty: the caller reports the text
  }
  return { status: res.status, cacheControl: res.headers.get('cache-control'), text, json };
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded, then joined and base64-encoded. */
export function basicAuth(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** The form of an authorization_code exchange (the redirect URI and the PKCE verifier included, as a client sends them). */
export function codeExchangeBody(code: IssuedCode, redirectUri: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code: code.code, redirect_uri: redirectUri, code_verifier: code.verifier }).toString();
}

export function refreshBody(refreshToken: string): string {
  return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();
}

/** Runs `task` over `items` with at most `concurrency` at once; results in the items' order. */
export async function mapConcurrent<I, O>(items: readonly I[], concurrency: number, task: (item: I) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i]!);
      }
    }),
  );
  return out;
}
