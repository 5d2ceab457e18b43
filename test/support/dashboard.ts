import type { TestServer } from './server.ts';

/** One answer of the dashboard, with its body read. */
export interface PageAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly html: string;
  /** `Location` of a redirect, or null. */
  readonly location: string | null;
}

/**
 * An operator's browser at the HTTP level (issue #14): a cookie jar over
 * fetch, no redirects followed (each test looks at the 303s), forms posted
 * as `application/x-www-form-urlencoded` the way a browser posts them.
 */
export class DashboardBrowser {
  readonly cookies = new Map<string, string>();
  readonly server: TestServer;

  constructor(server: TestServer) {
    this.server = server;
  }

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/Max-Age=0\b/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: 'GET' | 'POST', path: string, fields?: Readonly<Record<string, string>>, headers: Record<string, string> = {}): Promise<PageAnswer> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${this.server.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(cookie !== '' && { cookie }), ...(fields !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }), ...headers },
      ...(fields !== undefined && { body: new URLSearchParams(fields).toString() }),
    });
    this.remember(res.headers);
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('location') };
  }

  get(path: string): Promise<PageAnswer> {
    return this.request('GET', path);
  }

  post(path: string, fields: Readonly<Record<string, string>>, headers: Record<string, string> = {}): Promise<PageAnswer> {
    return this.request('POST', path, fields, headers);
  }

  /** Opens the sign-in page and signs in with `apiKey`; throws unless it lands on the dashboard. */
  async signIn(apiKey: string = this.server.apiKey): Promise<void> {
    const page = await this.get('/dashboard/sign-in');
    const res = await this.post('/dashboard/sign-in', { csrf: csrfOf(page.html), method: 'api_key', api_key: apiKey });
    if (res.status !== 303 || res.location !== '/dashboard/organizations') throw new Error(`sign-in -> ${res.status} ${res.location}: ${res.html.slice(0, 300)}`);
  }

  /** The CSRF token of a signed-in page (every dashboard page carries it in the sign-out form). */
  async csrf(): Promise<string> {
    return csrfOf((await this.get('/dashboard/api-keys')).html);
  }
}

/** The value of the first `name="csrf"` hidden input of a page. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF token on the page: ${html.slice(0, 300)}`);
  return m[1]!;
}

/** The value of the one-time secret field on a reveal page, or null. */
export function revealedValue(html: string): string | null {
  return /id="new-secret" readonly value="([^"]+)"/.exec(html)?.[1] ?? null;
}
