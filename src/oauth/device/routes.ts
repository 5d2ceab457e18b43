import type { FastifyInstance } from 'fastify';
import { applyCookies, browserOf } from '../../http/cookies.ts';
import { requestMeta } from '../../http/request-meta.ts';
import { deviceDonePage, deviceEntryPage } from '../../pages/device.ts';
import { pageErrorHandler } from '../../pages/errors.ts';
import { pageForm, sendStep, signInUnavailable } from '../authorize/routes.ts';
import { authenticateClient } from '../client-auth.ts';
import type { OAuthDeps } from '../deps.ts';
import { requireForm } from '../errors.ts';
import { deviceDonePath } from './approve.ts';
import { startDeviceAuthorization } from './start.ts';
import { checkEntryCsrf, enterUserCode, entryForm } from './verify.ts';

/**
 * `POST /oauth2/device_authorization` (RFC 8628 §3.1): form-encoded; a public
 * client sends its `client_id`, a confidential one authenticates as at the
 * token endpoint (§3.1: "MUST authenticate"). Answers §3.2 with no-store.
 */
export function deviceAuthorizationEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  app.post('/oauth2/device_authorization', async function deviceAuthorization(request, reply) {
    const form = requireForm(request);
    const meta = requestMeta(request);
    const client = await authenticateClient(deps, { authorization: request.headers.authorization, form, meta });
    const answer = await startDeviceAuthorization(deps, client.application, { scope: form.get('scope'), resources: form.all('resource') }, meta);
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(answer);
  });
}

/**
 * The device pages (RFC 8628 §3.3), an HTML scope of their own: `/device`
 * (enter or confirm the code), then the sign-in steps of /oauth2/authorize
 * (login, organization, a consent page showing the code), then
 * `/device/approved` or `/device/denied`. Same headers (CSP, no framing,
 * no-store) and CSRF rules as every page; POSTs answer 303.
 */
export async function devicePages(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  app.setErrorHandler(pageErrorHandler(deps.pages));

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/device', async function deviceEntry(request, reply) {
    const unavailable = signInUnavailable(deps, reply);
    if (unavailable) return unavailable;
    const form = entryForm(deps, browserOf(request));
    applyCookies(reply, deps.config.issuer, form.cookies);
    // verification_uri_complete fills the code in; the user still confirms it (nothing is looked up here).
    const prefilled = request.query.user_code;
    const userCode = typeof prefilled === 'string' && prefilled.length <= 20 ? prefilled : null;
    return deps.pages.send(reply, 200, deviceEntryPage({ csrf: form.csrf, userCode, message: null }));
  });

  app.post('/device', async function deviceCodeEntered(request, reply) {
    const unavailable = signInUnavailable(deps, reply);
    if (unavailable) return unavailable;
    const form = pageForm(request);
    const browser = browserOf(request);
    checkEntryCsrf(deps, browser, form.get('csrf'));
    const typed = form.get('user_code');
    const step = await enterUserCode(deps, browser, typed);
    if (step.kind === 'redirect') return sendStep(reply, deps.config.issuer, step, 303);
    const again = entryForm(deps, browser);
    return deps.pages.send(reply, 400, deviceEntryPage({ csrf: again.csrf, userCode: typed !== undefined && typed.length <= 20 ? typed : null, message: step.message }));
  });

  for (const approved of [true, false]) {
    app.get(deviceDonePath(approved), async (_request, reply) => deps.pages.send(reply, 200, deviceDonePage(approved)));
  }
}
