// Issue #4: the seeded world of the authorization endpoint fuzz suite (moved out of
// test/fuzz/authorize-fuzz.test.ts by issue #9).
//
// A confidential first-party app (two redirect URIs, one of them a loopback
// IP, where any port must match), a public third-party app (PKCE, an https and
// a private-use-scheme redirect URI), an M2M app; user A (no organizations,
// consented to the public app) and user B (two organizations, so the
// organization step appears). Throttling is off so that wrong secrets do not
// turn valid requests into 429s.
import { createHash } from 'node:crypto';
import type { TestServer } from '../../support/server.ts';
import { placeholder } from '../support/placeholders.ts';

/** The largest value the config accepts, so that throttling never answers 429 to a valid request. */
export const ENV = { PORTICO_AUTH_FAILURE_LIMIT: '999999', PORTICO_RESOURCES: 'https://api.example.test' };
export const RESOURCE = 'https://api.example.test';
/** Spellings of RESOURCE that are the same resource (RFC 8707 URIs compare scheme and host case-insensitively). */
/** Spellings of RESOURCE: scheme and host case-insensitive, and (issue #10) one trailing slash more or less. */
export const SAME_RESOURCE = [RESOURCE, 'HTTPS://API.EXAMPLE.TEST', 'https://API.example.test', `${RESOURCE}/`, 'HTTPS://API.EXAMPLE.TEST/'];
/** Node's default limit for the request line and headers is 16 KiB. */
export const MAX_REQUEST_HEAD = 15_000;

export const CONF_REDIRECTS = ['https://app.example.test/cb', 'http://127.0.0.1/cb'] as const;
export const PUB_REDIRECTS = ['https://public.example.test/callback', 'com.example.app:/oauth'] as const;
export const ALL_REDIRECTS = [...CONF_REDIRECTS, ...PUB_REDIRECTS];
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
export const USER_A = { id: 'fuzz-user-a', email: 'fuzz-a@example.test' };
export const USER_B = { id: 'fuzz-user-b', email: 'fuzz-b@example.test' };
/** Everything user A consented to for the public app, with and without RESOURCE. */
export const PUB_CONSENTED = 'openid profile email offline_access read';
/** The S256 challenge of a fixed verifier. */
export const CHALLENGE = createHash('sha256').update('fuzz-verifier-0123456789-0123456789-0123456789').digest('base64url');

/** A verdict the RFCs leave open: either answer is acceptable. */
export type Tri = boolean | 'either';

export const ph = placeholder;

export interface Client {
  readonly name: 'conf' | 'pub' | 'm2m';
  readonly appId: string;
  readonly clientId: string;
  /** null: a public client. */
  readonly secret: string | null;
  readonly redirects: readonly string[];
  /** What /oauth2/authorize may grant it: the OIDC scopes plus the application's own. */
  readonly scopes: readonly string[];
  readonly usesPkce: boolean;
}

/** What a browser holds of one interaction it started: the binding cookie GET /oauth2/authorize set. */
export interface Binding {
  /** The interaction (external_auth_id). */
  readonly id: string;
  /** `portico_ia_<last 12 characters of id>`. */
  readonly cookieName: string;
  /** The cookie's value. */
  readonly binding: string;
}

/** An interaction waiting at a page step, bound to a browser (its `portico_ia_...` cookie). */
export interface Bound extends Binding {
  readonly csrf: string;
  readonly client: Client;
  readonly redirectUri: string;
  readonly state: string;
  /** Organizations of the interaction's user. */
  readonly orgs: readonly string[];
}

/** A one-time resume link, and the binding of the browser that started its authorization (the only one it works in). */
export interface Resume extends Binding {
  readonly token: string;
  readonly client: Client;
  readonly redirectUri: string;
  readonly state: string;
}

export type Slot = 'consent' | 'org' | 'pending' | 'resume' | 'session_a';

/** Live objects of the page steps; a slot a request may have used up is replaced before the next run. */
export interface Pool {
  consent: Bound;
  org: Bound;
  /** Completed with "allow": its cookie and CSRF token still exist, the interaction is over. */
  readonly finished: Bound;
  /** An external_auth_id waiting for the login, the binding of the browser that started it, and its login page's CSRF token (issue #7). */
  pending: Binding & { readonly csrf: string };
  resume: Resume;
  /** A resume link that was already followed (in its own browser). */
  readonly spent: Resume;
  readonly stale: Set<Slot>;
  reseeds: number;
}

/** A refresh-token family and what the harness knows of it. */
export interface Family {
  readonly client: Client;
  readonly scopes: readonly string[];
  readonly resource: string | null;
  live: string;
  readonly rotated: string[];
  revoked: boolean;
}

export interface World {
  readonly server: TestServer;
  readonly issuer: string;
  readonly origin: string;
  readonly conf: Client;
  readonly pub: Client;
  readonly m2m: Client;
  /** A followed resume link replaces the browser's session (issue #7): session A is then signed in anew. */
  sessionA: string;
  readonly sessionB: string;
  readonly members: readonly [string, string];
  readonly nonMember: string;
  pool: Pool;
  readonly families: Family[];
  statuses: Map<number, number>;
  /** What the answers were (refused, login, code, ...), for the diagnostics: proof that the valid paths ran too. */
  outcomes: Map<string, number>;
  replaced: number;
  resumes: number;
}

/** The world before its page pool exists: what seeding the pool needs. */
export type Base = Omit<World, 'pool'>;

export const clientOf = (w: World, name: 'conf' | 'pub' | 'm2m') => (name === 'conf' ? w.conf : name === 'pub' ? w.pub : w.m2m);

/** The values of the placeholders, from the live world. */
export function placeholders(w: World): Record<string, string> {
  const p = w.pool;
  return {
    conf: w.conf.clientId,
    pub: w.pub.clientId,
    m2m: w.m2m.clientId,
    session_a: w.sessionA,
    session_b: w.sessionB,
    consent: p.consent.id,
    consent_csrf: p.consent.csrf,
    consent_cookie: p.consent.cookieName,
    consent_binding: p.consent.binding,
    // Near misses of the consent step's cookie name: case, one character fewer or more of the id.
    consent_cookie_upper: p.consent.cookieName.toUpperCase(),
    consent_cookie_short: `portico_ia_${p.consent.id.slice(-11)}`,
    consent_cookie_long: `portico_ia_${p.consent.id.slice(-13)}`,
    org: p.org.id,
    org_csrf: p.org.csrf,
    org_cookie: p.org.cookieName,
    org_binding: p.org.binding,
    finished: p.finished.id,
    finished_csrf: p.finished.csrf,
    finished_cookie: p.finished.cookieName,
    finished_binding: p.finished.binding,
    pending: p.pending.id,
    pending_csrf: p.pending.csrf,
    pending_cookie: p.pending.cookieName,
    pending_binding: p.pending.binding,
    resume: p.resume.token,
    resume_cookie: p.resume.cookieName,
    resume_binding: p.resume.binding,
    resume_cookie_upper: p.resume.cookieName.toUpperCase(),
    spent: p.spent.token,
    spent_cookie: p.spent.cookieName,
    spent_binding: p.spent.binding,
    member1: w.members[0],
    member2: w.members[1],
    nonmember: w.nonMember,
  };
}
