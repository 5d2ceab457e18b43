import type { AuthorizationRequest } from '../../domain/authorization.ts';
import { addressKey } from '../../domain/client-address.ts';
import { normalizeUserCode } from '../../domain/device.ts';
import { PageFailure } from '../../domain/errors.ts';
import { randomToken } from '../../domain/random.ts';
import { flowCookies, type SetCookie } from '../../http/cookie-names.ts';
import { csrfMatches, csrfToken } from '../../pages/csrf.ts';
import { INTERACTION_TTL_MS, startAuthorization, type Browser, type FlowDeps, type FlowRedirect } from '../authorize/flow.ts';
import { userCodeDigest } from './start.ts';

/** CSRF purpose of the code-entry form. */
const ENTRY_CSRF = 'device-entry';
/** Wrong user codes are counted per address over one minute. */
const GUESS_WINDOW_MS = 60_000;

/** The code-entry page: the CSRF token for this browser, and the cookie to set when it had none yet. */
export interface EntryForm {
  readonly csrf: string;
  readonly cookies: readonly SetCookie[];
}

/**
 * The device page's browser binding (issue #7 rules for a page that comes
 * before any interaction): a random cookie, and a form CSRF token that is a
 * MAC of it, so another site cannot submit a code in the visitor's browser.
 */
export function entryForm(deps: Pick<FlowDeps, 'config' | 'keyring' | 'random'>, browser: Browser): EntryForm {
  const name = flowCookies(deps.config.issuer).deviceEntry;
  const existing = browser.cookie(name);
  const cookie = existing ?? randomToken(deps.random);
  return { csrf: csrfToken(deps.keyring, ENTRY_CSRF, 'entry', cookie), cookies: existing === null ? [{ name, value: cookie, maxAgeSeconds: INTERACTION_TTL_MS / 1000 }] : [] };
}

/** A code-entry POST must come from the form this browser was given. */
export function checkEntryCsrf(deps: Pick<FlowDeps, 'config' | 'keyring'>, browser: Browser, given: string | undefined): void {
  const cookie = browser.cookie(flowCookies(deps.config.issuer).deviceEntry);
  if (cookie === null || !csrfMatches(deps.keyring, given, ENTRY_CSRF, 'entry', cookie)) {
    throw new PageFailure(403, 'Request refused: the form expired or did not come from this page', 'Open the device page again and enter the code.');
  }
}

const tooMany = (retryAfterSeconds: number) =>
  new PageFailure(429, 'Too many attempts', 'Too many codes were entered from here in the last minute. Wait a minute, then try again.', { 'retry-after': String(retryAfterSeconds) });

/**
 * RFC 8628 §5.1: user codes are short, so guessing is limited per address
 * (IPv6 per /64): past PORTICO_USER_CODE_FAILURE_LIMIT wrong codes in a
 * minute, every attempt is refused without a lookup until the window ends.
 * Counted in the database (the failure windows of client authentication),
 * so the limit holds across workers and nodes.
 */
async function guard(deps: FlowDeps, ip: string): Promise<{ key: string; since: Date; now: Date }> {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - GUESS_WINDOW_MS);
  const key = `user_code:${addressKey(ip)}`;
  const [window] = await deps.storage.authFailures.windows([key], since);
  if (window && window.count >= deps.config.userCodeFailureLimit) {
    deps.metrics.inc('portico_authorize_throttled_total', { limit: 'user_code' });
    throw tooMany(Math.max(1, Math.ceil((window.windowStart.getTime() + GUESS_WINDOW_MS - now.getTime()) / 1000)));
  }
  return { key, since, now };
}

/** What entering a code leads to: the next step of the sign-in, or the form again. */
export type EntryResult = FlowRedirect | { readonly kind: 'wrong_code'; readonly message: string };

/**
 * The user typed a code on `/device` (RFC 8628 §3.3): case and hyphens do not
 * matter. A wrong code is counted against the address. A right one starts the
 * sign-in exactly like /oauth2/authorize does (bound to this browser, the
 * company's login or the development login, the organization chooser), for
 * the app and scopes of that device, ending on a consent page that shows the
 * code. The interaction expires with the code.
 */
export async function enterUserCode(deps: FlowDeps, browser: Browser, typed: string | undefined): Promise<EntryResult> {
  const { key, since, now } = await guard(deps, browser.meta.ip);
  const code = typed === undefined ? null : normalizeUserCode(typed);
  const device = code === null ? null : await deps.storage.deviceAuthorizations.findPendingByUserCode(userCodeDigest(deps, code), now);
  const app = device && (await deps.storage.applications.find(device.applicationId));
  if (!device || !app) {
    const [window] = await deps.storage.authFailures.record([{ key, count: 1 }], now, since);
    if (window && window.count > deps.config.userCodeFailureLimit) throw tooMany(GUESS_WINDOW_MS / 1000);
    return { kind: 'wrong_code', message: typed === undefined ? 'Enter the code shown on your device.' : 'That code is not valid, or it has expired. Check it on your device and try again.' };
  }
  const request: AuthorizationRequest = {
    clientId: app.clientId,
    // Nothing is ever sent here: the flow ends on Portico's own device pages.
    redirectUri: `${deps.config.issuer}/device`,
    redirectUriGiven: false,
    scopes: device.scopes,
    state: null,
    nonce: null,
    codeChallenge: null,
    resource: device.resource,
    prompt: [],
    maxAge: null,
    loginHint: null,
    hintedUserId: null,
    deviceAuthorizationId: device.id,
  };
  return startAuthorization(deps, browser, app, request, device.expiresAt);
}
