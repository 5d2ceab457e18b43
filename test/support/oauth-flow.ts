import { createHash, randomBytes } from 'node:crypto';
import type { TestServer } from './server.ts';

/** A minimal cookie jar for driving the browser steps over plain HTTP. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const maxAge = /Max-Age=(\d+)/i.exec(line)?.[1];
      if (maxAge === '0') this.#cookies.delete(pair!.slice(0, eq));
      else this.#cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clear(): void {
    this.#cookies.clear();
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function get(url: string, jar: CookieJar): Promise<Response> {
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.store(res);
  return res;
}

export async function postForm(url: string, jar: CookieJar, form: Record<string, string>): Promise<Response> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  jar.store(res);
  return res;
}

/** Hidden form fields of a Portico page. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]!] = m[2]!.replace(/&amp;/g, '&');
  return out;
}

export interface FlowUser {
  readonly id: string;
  readonly email: string;
  readonly first_name?: string;
  readonly last_name?: string;
}

export interface FlowOptions {
  readonly params: Record<string, string>;
  readonly user: FlowUser;
  readonly jar?: CookieJar;
  readonly consentOptions?: unknown[];
  /** What to answer on the consent page; claims pick consent-option values. */
  readonly consent?: 'allow' | 'deny';
  readonly claims?: Record<string, string>;
  readonly organizationId?: string;
}

export interface FlowResult {
  /** The final redirect to the client, parsed. */
  readonly callback: URL;
  readonly jar: CookieJar;
  /** Which Portico steps the browser passed through. */
  readonly steps: string[];
}

/**
 * Drives `/oauth2/authorize` to the client's redirect the way a browser and
 * the company's backend would: login via `/authkit/oauth2/complete`, then the
 * organization and consent pages as needed.
 */
export async function runAuthorization(server: TestServer, o: FlowOptions): Promise<FlowResult> {
  const jar = o.jar ?? new CookieJar();
  const steps: string[] = [];
  const url = new URL(`${server.baseUrl}/oauth2/authorize`);
  for (const [k, v] of Object.entries(o.params)) url.searchParams.set(k, v);
  let res = await get(url.toString(), jar);
  for (let i = 0; i < 8; i++) {
    const location = res.headers.get('location');
    if (res.status !== 302 && res.status !== 303) throw new Error(`unexpected ${res.status} at step ${steps.join('>')}: ${(await res.text()).slice(0, 300)}`);
    if (!location) throw new Error('redirect without Location');
    const next = new URL(location, server.baseUrl);
    if (next.origin !== server.baseUrl || !next.pathname.startsWith('/oauth2/authorize') && next.pathname !== '/dev/login') {
      return { callback: next, jar, steps };
    }
    if (next.pathname === '/dev/login') {
      steps.push('login');
      const complete = await fetch(`${server.baseUrl}/authkit/oauth2/complete`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ external_auth_id: next.searchParams.get('external_auth_id'), user: o.user, ...(o.consentOptions && { user_consent_options: o.consentOptions }) }),
      });
      if (complete.status !== 200) throw new Error(`complete ${complete.status}: ${await complete.text()}`);
      res = await get(((await complete.json()) as { redirect_uri: string }).redirect_uri, jar);
    } else if (next.pathname === '/oauth2/authorize/organization') {
      steps.push('organization');
      const page = await get(next.toString(), jar);
      const fields = hiddenFields(await page.text());
      res = await postForm(`${server.baseUrl}/oauth2/authorize/organization`, jar, { ...fields, organization_id: o.organizationId ?? '' });
    } else if (next.pathname === '/oauth2/authorize/consent') {
      steps.push('consent');
      const page = await get(next.toString(), jar);
      const fields = hiddenFields(await page.text());
      const claims = Object.fromEntries(Object.entries(o.claims ?? {}).map(([k, v]) => [`claim:${k}`, v]));
      res = await postForm(`${server.baseUrl}/oauth2/authorize/consent`, jar, { ...fields, ...claims, decision: o.consent ?? 'allow' });
    } else {
      steps.push(next.pathname.replace('/oauth2/authorize', '') || 'authorize');
      res = await get(next.toString(), jar);
    }
  }
  throw new Error(`too many steps: ${steps.join('>')}`);
}

/** POST /oauth2/token for an authorization code. */
export async function exchangeCode(server: TestServer, form: Record<string, string>, basic?: { id: string; secret: string }): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}`;
  return fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
}
