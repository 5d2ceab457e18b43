import { OAuthError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { verifierMatches } from '../../domain/pkce.ts';
import { tokenRedirectUriValid } from '../../domain/redirect-uri.ts';
import { recordReuse, revokeFamily } from '../tokens/family.ts';
import { confirmSignIn, planAccess, signUserTokens, tokenDigest, type ConfirmedSignIn, type UserTokenDeps } from '../tokens/issue.ts';
import type { Application } from '../../domain/application.ts';
import type { AuthorizationCode } from '../../domain/authorization.ts';
import type { ConsumeCodeResult } from '../../storage/port.ts';
import type { ClientAuthMethod } from '../client-auth.ts';
import type { GrantModule } from './types.ts';

export type AuthorizationCodeDeps = UserTokenDeps;

const invalidGrant = (why: string) => new OAuthError('invalid_grant', why);

/** The code as consume() returned it, checked against the token request (RFC 6749 §4.1.3, RFC 7636 §4.6): why it fails, or null. */
function codeProblem(c: AuthorizationCode, app: Application, method: ClientAuthMethod, redirectUri: string | undefined, verifier: string | undefined, now: Date): string | null {
  // consume() matched on the client already; checked again so no storage bug can hand out another client's grant.
  if (c.clientId !== app.clientId) return 'The authorization code was issued to another client.';
  if (c.expiresAt <= now) return 'The authorization code has expired.';
  if (!tokenRedirectUriValid(c.redirectUri, redirectUri, app.redirectUris)) return 'redirect_uri must be the one of the authorization request.';
  if (c.codeChallenge !== null) {
    if (verifier === undefined || !verifierMatches(verifier, c.codeChallenge)) return 'PKCE verification failed.';
  } else if (verifier !== undefined) {
    // A verifier without a challenge on file is a downgrade attempt (RFC 9700 §2.1.1).
    return 'No code_challenge was sent with the authorization request.';
  }
  if (method === 'none' && c.codeChallenge === null) return 'Public clients must use PKCE.';
  return null;
}

type Exchange =
  | { readonly outcome: 'refused'; readonly result: Exclude<ConsumeCodeResult, { outcome: 'consumed' }> }
  | { readonly outcome: 'invalid'; readonly why: string }
  | { readonly outcome: 'issued'; readonly code: AuthorizationCode; readonly signIn: ConfirmedSignIn };

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636). The code is
 * consumed first (by its own client only), in one conditional statement that
 * also records the access token and refresh family this exchange is about to
 * issue: of concurrent exchanges exactly one proceeds, every later check
 * failing still leaves the code spent (a wrong verifier cannot be retried),
 * and a second use revokes what the first issued (OAuth 2.1 §4.1.3).
 *
 * Issue #12: consuming the code, the checks and storing the refresh token are
 * one transaction (one commit, one fsync on SQLite). A failed check does not
 * throw inside it: the transaction commits the spent code and the refusal is
 * thrown after. On PostgreSQL the consumed row stays locked until the commit,
 * so a concurrent reuse waits and then finds the refresh token to revoke.
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
    const redirectUri = params.get('redirect_uri');
    const verifier = params.get('code_verifier');
    const now = deps.clock.now();
    const access = planAccess(deps);
    const familyId = deps.ids(ID_PREFIX.bare);
    const digest = tokenDigest(deps, code);

    const exchange = await deps.storage.transaction(async (tx): Promise<Exchange> => {
      // RFC 6749 §4.1.3: the code must have been issued to the authenticated client. Another client's
      // attempt is refused without touching the code, so it cannot burn a code it intercepted (issue #7).
      const result = await tx.codes.consume(digest, app.clientId, now, { familyId, accessJti: access.jti, accessExp: access.exp });
      if (result.outcome !== 'consumed') return { outcome: 'refused', result };
      const c = result.code;
      const why = codeProblem(c, app, client.method, redirectUri, verifier, now);
      if (why !== null) return { outcome: 'invalid', why };
      const signIn = await confirmSignIn(tx, deps, app, c, access, familyId);
      if (signIn === null) return { outcome: 'invalid', why: 'The authorization was withdrawn.' };
      return { outcome: 'issued', code: c, signIn };
    });

    if (exchange.outcome === 'invalid') throw invalidGrant(exchange.why);
    if (exchange.outcome === 'refused') {
      const { result } = exchange;
      if (result.outcome === 'unknown') throw invalidGrant('The authorization code is invalid.');
      if (result.outcome === 'foreign') throw invalidGrant('The authorization code was issued to another client.');
      const first = result.code;
      await revokeFamily(deps, first.familyId, first.clientId, first.accessJti !== null && first.accessExp !== null ? [{ jti: first.accessJti, exp: first.accessExp }] : []);
      await recordReuse(deps, meta, 'oauth.authorization_code_reused', first);
      throw invalidGrant('The authorization code was already used; the tokens it produced are revoked.');
    }
    const { code: c, signIn } = exchange;
    return signUserTokens(deps, app, { ...c, scopes: signIn.scopes }, signIn.scopes, access, { refreshToken: signIn.refresh?.plaintext ?? null, nonce: c.nonce, user: signIn.user });
  },
};
