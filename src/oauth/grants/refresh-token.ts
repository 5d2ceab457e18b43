import type { Grant } from '../../domain/authorization.ts';
import { OAuthError } from '../../domain/errors.ts';
import { configuredResource } from '../../domain/resource.ts';
import { isSubset, parseScopeParam } from '../../domain/scopes.ts';
import type { OAuthDeps } from '../deps.ts';
import { recordReuse, revokeFamily } from '../tokens/family.ts';
import { entitledScopes, newRefreshToken, planAccess, refreshRow, signUserTokens, tokenDigest, type TokenDeps } from '../tokens/issue.ts';
import type { GrantModule } from './types.ts';

export type RefreshTokenDeps = TokenDeps & Pick<OAuthDeps, 'storage'>;

const invalidGrant = (why = 'The refresh token is invalid.') => new OAuthError('invalid_grant', why);
const REUSED = 'The refresh token was already used; its whole family is revoked.';

/**
 * `grant_type=refresh_token` (RFC 6749 §6). Every use rotates: the presented
 * token is marked used and its successor stored in one transaction, so of
 * concurrent refreshes exactly one wins. Presenting a used token again is
 * treated as theft: the whole family and its access tokens are revoked
 * (unless the optional grace window applies: the immediately previous token,
 * within PORTICO_REFRESH_GRACE_SECONDS, gets the same successor again).
 * `scope` may narrow the access token, never widen it; the successor keeps
 * the original scope (RFC 6749 §6). Tokens are signed only after rotation.
 */
export const refreshToken: GrantModule<RefreshTokenDeps> = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope', 'resource'],
  async handle({ params, client, meta }, deps) {
    const app = client.application;
    const presented = params.get('refresh_token');
    if (presented === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.');
    if (presented.length > 200) throw invalidGrant();
    const digest = tokenDigest(deps, presented);
    // Deleting the consent (or the application, or the user) deletes its refresh tokens with it.
    const current = await deps.storage.refreshTokens.find(digest);
    // Another client's token is not this client's business: refuse without touching it.
    if (!current || current.clientId !== app.clientId) throw invalidGrant();

    let scopes = current.scopes;
    const requested = params.get('scope');
    if (requested !== undefined) {
      const parsed = parseScopeParam(requested);
      if (parsed === null || parsed.length === 0 || !isSubset(parsed, current.scopes)) throw new OAuthError('invalid_scope', 'The requested scope exceeds the original grant.');
      scopes = parsed;
    }
    const resources = params.all('resource');
    const asked = resources.length === 1 ? configuredResource(resources[0]!, deps.config.resources) : null;
    if (resources.length > 1 || (resources.length === 1 && (asked === null || asked !== current.resource))) {
      throw new OAuthError('invalid_target', 'A refresh token cannot change the resource.');
    }
    const entitled = await entitledScopes(deps, app, current, scopes);
    if (entitled === null) throw invalidGrant('The user no longer belongs to the organization of this grant.');

    const now = deps.clock.now();
    const grant: Grant = current;
    const access = planAccess(deps);
    const next = newRefreshToken(deps);
    const graceMs = deps.config.refreshGraceSeconds * 1000;
    const result = await deps.storage.refreshTokens.rotate(
      digest,
      // The successor keeps the original scope (RFC 6749 §6), whatever this access token was narrowed to.
      refreshRow(deps, grant, grant.scopes, access, current.familyId, next.digest),
      graceMs > 0 ? deps.keyring.seal('refresh-seal', Buffer.from(next.plaintext), digest) : null,
      now,
      graceMs,
    );

    let successor = next.plaintext;
    if (result.outcome === 'unknown') throw invalidGrant('The refresh token has expired.');
    if (result.outcome === 'reused') {
      await revokeFamily(deps, current.familyId, app.clientId);
      await recordReuse(deps, meta, 'oauth.refresh_token_reused', current);
      throw invalidGrant(REUSED);
    }
    if (result.outcome === 'grace') {
      successor = deps.keyring.open('refresh-seal', result.successorSealed, digest).toString();
      // Only the immediately previous token: once the successor itself was used, this is reuse. The new
      // access token replaces (and revokes) the one of the answer that was lost, so a later family
      // revocation still reaches it.
      const successorDigest = tokenDigest(deps, successor);
      const replaced = await deps.storage.refreshTokens.replaceAccess(successorDigest, access);
      const live = await deps.storage.refreshTokens.find(successorDigest);
      if (!replaced || !live || live.rotatedAt !== null) {
        await revokeFamily(deps, current.familyId, app.clientId, [access]);
        await recordReuse(deps, meta, 'oauth.refresh_token_reused', current);
        throw invalidGrant(REUSED);
      }
      await deps.storage.revocations.revokeMany([replaced], app.clientId);
    }
    const user = entitled.includes('openid') ? await deps.storage.users.get(current.userId) : null;
    return signUserTokens(deps, app, grant, entitled, access, { refreshToken: successor, nonce: null, user });
  },
};
