import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyCookies, browserOf } from '../../http/cookies.ts';
import { Form, formOf } from '../../http/form.ts';
import { csrfMatches, csrfToken } from '../../pages/csrf.ts';
import { PageFailure } from '../../domain/errors.ts';
import { logoutPage } from '../../pages/templates.ts';
import type { OAuthDeps } from '../deps.ts';
import { verifyIdTokenHint } from '../tokens/jwt.ts';
import { browserSession, endSession } from './flow.ts';

const LOGOUT_CSRF = 'logout';

/** Query or form values of a logout request, one value per name. */
function parameters(request: FastifyRequest): Form {
  if (request.method === 'POST') {
    const form = formOf(request);
    if (!form) throw new PageFailure(400, 'Bad request', 'The form could not be read.');
    return form;
  }
  return Form.parse(request.url.split('?')[1] ?? '');
}

const refuse = (message: string) => new PageFailure(400, 'This sign-out request is not valid', message);

/**
 * RP-Initiated Logout 1.0 (`end_session_endpoint`): ends Portico's session in
 * this browser and, when asked, returns to a `post_logout_redirect_uri` the
 * client registered (Portico has no separate post-logout list: the client's
 * registered redirect URIs are the allowed targets, compared exactly), with
 * `state`. A request whose `id_token_hint` names the signed-in user signs out
 * at once; anything else (no hint, another user's hint) asks first, so a link
 * on another site cannot sign anyone out (§2: "the OP SHOULD ask the End-User").
 * An invalid hint or target is an error page, never a redirect.
 */
export function logoutPages(app: FastifyInstance, deps: OAuthDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const p = parameters(request);
    for (const name of ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id']) {
      if (p.all(name).length > 1) throw refuse(`${name} appears more than once.`);
    }
    const hintText = p.get('id_token_hint');
    const hint = hintText === undefined ? null : await verifyIdTokenHint(hintText, deps.keys, deps.config.issuer);
    if (hintText !== undefined && hint === null) throw refuse('id_token_hint is not an ID token this server issued.');
    const clientId = p.get('client_id');
    if (hint && clientId !== undefined && hint.aud !== clientId) throw refuse('client_id does not match the id_token_hint.');
    const target = p.get('post_logout_redirect_uri');
    const state = p.get('state');
    let redirect: URL | null = null;
    if (target !== undefined) {
      const owner = clientId ?? hint?.aud;
      if (owner === undefined) throw refuse('post_logout_redirect_uri needs id_token_hint or client_id.');
      const client = owner.length <= 255 ? await deps.storage.applications.find(owner) : null;
      if (!client || client.clientId !== owner || !client.redirectUris.some((r) => r.uri === target)) {
        throw refuse('post_logout_redirect_uri is not registered for this client.');
      }
      redirect = new URL(target);
      if (state !== undefined) redirect.searchParams.set('state', state);
    }
    const done = () => {
      if (redirect) return reply.code(request.method === 'POST' ? 303 : 302).header('cache-control', 'no-store').redirect(redirect.toString());
      return deps.pages.send(reply, 200, { title: 'You are signed out', body: '<h1>You are signed out</h1><p>You can close this window.</p>' });
    };

    const session = await browserSession(deps, browserOf(request));
    if (!session) return done();
    const signOut = async () => applyCookies(reply, deps.config.issuer, [await endSession(deps, session)]);
    if (hint && hint.sub === session.userId) {
      await signOut();
      return done();
    }
    if (request.method === 'POST' && p.get('decision') !== undefined) {
      if (!csrfMatches(deps.keyring, p.get('csrf'), LOGOUT_CSRF, session.userId, session.cookie)) {
        throw new PageFailure(403, 'Request refused: the form expired or did not come from this page', 'Sign out again from the application.');
      }
      if (p.get('decision') === 'signout') await signOut();
      return done();
    }
    const user = await deps.storage.users.get(session.userId);
    return deps.pages.send(
      reply,
      200,
      logoutPage({
        email: user?.email ?? 'your account',
        csrf: csrfToken(deps.keyring, LOGOUT_CSRF, session.userId, session.cookie),
        hidden: { post_logout_redirect_uri: target, state, client_id: clientId ?? hint?.aud },
      }),
    );
  };
  app.get('/oauth2/logout', handler);
  app.post('/oauth2/logout', handler);
}
