import { OAuthError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { verifierMatches } from '../../domain/pkce.ts';
import { tokenRedirectUriValid } from '../../domain/redirect-uri.ts';
import { recordReuse, revokeFamily } from '../tokens/family.ts';
import { entitledScopes, issueUserTokens, planAccess, tokenDigest, type UserTokenDeps } from '../tokens/issue.ts';
import type { GrantModule } from './types.ts';

export type AuthorizationCodeDeps = UserTokenDeps;

const invalidGrant = (why: string) => new OAuthError('invalid_grant', why);

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636). The code is
 * consumed first (by its own client only), in one conditional statement that
 * also records the access token and refresh family this exchange is about to
 * issue: of concurrent exchanges exactly one proceeds, every later check
 * failing still leaves the code spent (a wrong verifier cannot be retried),
 * and a second use revokes what the first issued (OAuth 2.1 §4.1.3).
 */
export const authorizationCode: GrantModule<AuthorizationCodeDeps> = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier'],
  async handle({ params, client, meta }, deps) {
    const app = client.application;
    if (app.type !== 'oauth') throw new OAuthError('unauthorized_client', 'This client may not use the authorization_code grant.');
    const code = params.get('code');
    if (code === undefined) throw new OAuthError('invalid_request', 'code is required.');
    if (code.length > 200) throw invalidGrant('The authorization code is invalid.');
    const now = deps.clock.now();
    const access = planAccess(deps);
    const familyId = deps.ids(ID_PREFIX.bare);
    // RFC 6749 §4.1.3: the code must have been issued to the authenticated client. Another client's
    // attempt is refused without touching the code, so it cannot burn a code it intercepted (issue #7).
    const result = await deps.storage.codes.consume(tokenDigest(deps, code), app.clientId, now, { familyId, accessJti: access.jti, accessExp: access.exp });
    if (result.outcome === 'unknown') throw invalidGrant('The authorization code is invalid.');
    if (result.outcome === 'foreign') throw invalidGrant('The authorization code was issued to another client.');
    if (result.outcome === 'reused') {
      const first = result.code;
      await revokeFamily(deps, first.familyId, first.clientId, first.accessJti !== null && first.accessExp !== null ? [{ jti: first.accessJti, exp: first.accessExp }] : []);
      await recordReuse(deps, meta, 'oauth.authorization_code_reused', first);
      throw invalidGrant('The authorization code was already used; the tokens it produced are revoked.');
    }
    const c = result.code;
    // consume() matched on the client already; checked again so no storage bug can hand out another client's grant.
    if (c.clientId !== app.clientId) throw invalidGrant('The authorization code was issued to another client.');
    if (c.expiresAt <= now) throw invalidGrant('The authorization code has expired.');
    if (!tokenRedirectUriValid(c.redirectUri, params.get('redirect_uri'), app.redirectUris)) throw invalidGrant('redirect_uri must be the one of the authorization request.');
    const verifier = params.get('code_verifier');
    if (c.codeChallenge !== null) {
      if (verifier === undefined || !verifierMatches(verifier, c.codeChallenge)) throw invalidGrant('PKCE verification failed.');
    } else if (verifier !== undefined) {
      // A verifier without a challenge on file is a downgrade attempt (RFC 9700 §2.1.1).
      throw invalidGrant('No code_challenge was sent with the authorization request.');
    }
    if (client.method === 'none' && c.codeChallenge === null) throw invalidGrant('Public clients must use PKCE.');
    const [consent, user, scopes] = await Promise.all([deps.storage.consents.get(c.consentId), deps.storage.users.get(c.userId), entitledScopes(deps, app, c, c.scopes)]);
    if (!consent || !user || scopes === null) throw invalidGrant('The authorization was withdrawn.');

    return issueUserTokens(deps, app, { ...c, scopes }, scopes, access, { familyId, nonce: c.nonce, user });
  },
};
