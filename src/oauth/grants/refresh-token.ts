import type { Grant } from '../../domain/authorization.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { canonicalResource } from '../../domain/resource.ts';
import { isSubset, parseScopeParam } from '../../domain/scopes.ts';
import type { OAuthDeps } from '../deps.ts';
import { OAuthError } from '../errors.ts';
import { issueIdToken, issueUserAccessToken, newRefreshToken, tokenResponse } from '../tokens/issue.ts';
import type { GrantHandler } from './types.ts';

const invalidGrant = (why = 'The refresh token is invalid.') => new OAuthError('invalid_grant', why);

/** Kills a refresh-token family and every access token issued with it (RFC 9700 §4.14.2). */
export async function revokeFamily(deps: OAuthDeps, familyId: string, clientId: string): Promise<void> {
  for (const t of await deps.storage.refreshTokens.revokeFamily(familyId, deps.clock.now())) {
    await deps.storage.revocations.revoke(t.jti, clientId, t.exp);
  }
}

/**
 * `grant_type=refresh_token` (RFC 6749 §6). Every use rotates: the presented
 * token is marked used and its successor stored in one transaction, so of
 * concurrent refreshes exactly one wins. Presenting a used token again is
 * treated as theft: the whole family and its access tokens are revoked
 * (unless the optional grace window applies: the immediately previous token,
 * within PORTICO_REFRESH_GRACE_SECONDS, gets the same successor again).
 * `scope` may narrow the access token, never widen it; the successor keeps
 * the original scope (RFC 6749 §6).
 */
export const refreshToken: GrantHandler = async ({ deps, form, client }) => {
  const app = client.application;
  const presented = form.get('refresh_token');
  if (presented === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.');
  if (presented.length > 200) throw invalidGrant();
  const digest = deps.keyring.digest('token', presented).toString('hex');
  const current = await deps.storage.refreshTokens.find(digest);
  // Another client's token is not this client's business: refuse without touching it.
  if (!current || current.clientId !== app.clientId) throw invalidGrant();

  let scopes = current.scopes;
  const requested = form.get('scope');
  if (requested !== undefined) {
    const parsed = parseScopeParam(requested);
    if (parsed === null || parsed.length === 0 || !isSubset(parsed, current.scopes)) throw new OAuthError('invalid_scope', 'The requested scope exceeds the original grant.');
    scopes = parsed;
  }
  const resources = form.all('resource');
  if (resources.length > 1 || (resources.length === 1 && canonicalResource(resources[0]!) !== current.resource)) {
    throw new OAuthError('invalid_target', 'A refresh token cannot change the resource.');
  }

  const now = deps.clock.now();
  const grant: Grant = current;
  const access = issueUserAccessToken(deps, app, grant, scopes);
  const next = newRefreshToken(deps);
  const graceMs = deps.config.refreshGraceSeconds * 1000;
  const result = await deps.storage.refreshTokens.rotate(
    digest,
    {
      ...grant,
      id: deps.ids(ID_PREFIX.bare),
      digest: next.digest,
      familyId: current.familyId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.config.refreshTokenTtl * 1000),
      accessJti: access.jti,
      accessExp: access.exp,
    },
    graceMs > 0 ? deps.keyring.seal('token', Buffer.from(next.plaintext), digest) : null,
    now,
    graceMs,
  );

  let successor = next.plaintext;
  if (result.outcome === 'unknown') throw invalidGrant('The refresh token has expired.');
  if (result.outcome === 'reused') {
    await revokeFamily(deps, current.familyId, app.clientId);
    await deps.storage.audit.record({
      id: deps.ids(ID_PREFIX.auditEvent),
      event: 'oauth.refresh_token_reused',
      organizationId: current.organizationId,
      data: { client_id: app.clientId, user_id: current.userId, family_id: current.familyId },
      context: { actor_type: 'client', actor_id: app.clientId, ip: null, request_id: null },
      createdAt: now,
    });
    throw invalidGrant('The refresh token was already used; its whole family is revoked.');
  }
  if (result.outcome === 'grace') {
    successor = deps.keyring.open('token', result.successorSealed, digest).toString();
    const live = await deps.storage.refreshTokens.find(deps.keyring.digest('token', successor).toString('hex'));
    // Only the immediately previous token: once the successor itself was used, this is reuse.
    if (!live || live.rotatedAt !== null || live.revokedAt !== null) {
      await revokeFamily(deps, current.familyId, app.clientId);
      throw invalidGrant('The refresh token was already used; its whole family is revoked.');
    }
  }
  if (!(await deps.storage.consents.get(current.consentId))) throw invalidGrant('The authorization was withdrawn.');
  const user = scopes.includes('openid') ? await deps.storage.users.get(current.userId) : null;
  const idToken = user ? issueIdToken(deps, app, grant, scopes, user, null) : undefined;
  return tokenResponse(access, deps, scopes, { refresh_token: successor, ...(idToken !== undefined && { id_token: idToken }) });
};
