import type { Grant } from '../../domain/authorization.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { verifierMatches } from '../../domain/pkce.ts';
import type { OAuthDeps } from '../deps.ts';
import { OAuthError } from '../errors.ts';
import { issueIdToken, issueUserAccessToken, newRefreshToken, tokenResponse } from '../tokens/issue.ts';
import type { GrantHandler } from './types.ts';

const invalidGrant = (why: string) => new OAuthError('invalid_grant', why);

/** Revokes whatever an earlier exchange of a reused code issued (OAuth 2.1 §4.1.3: SHOULD). */
async function revokeExchange(deps: OAuthDeps, code: { familyId: string | null; accessJti: string | null; accessExp: Date | null; clientId: string }): Promise<void> {
  const now = deps.clock.now();
  const revoked = code.familyId === null ? [] : await deps.storage.refreshTokens.revokeFamily(code.familyId, now);
  if (code.accessJti !== null && code.accessExp !== null) revoked.push({ jti: code.accessJti, exp: code.accessExp });
  for (const t of revoked) await deps.storage.revocations.revoke(t.jti, code.clientId, t.exp);
}

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636): the code is
 * consumed first, in one conditional statement, so of any number of
 * concurrent exchanges exactly one proceeds; every later check failing still
 * leaves the code spent (a wrong verifier cannot be retried). A second use
 * revokes what the first issued.
 */
export const authorizationCode: GrantHandler = async ({ deps, form, client }) => {
  const app = client.application;
  if (app.type !== 'oauth') throw new OAuthError('unauthorized_client', 'This client may not use the authorization_code grant.');
  const code = form.get('code');
  if (code === undefined) throw new OAuthError('invalid_request', 'code is required.');
  if (code.length > 200) throw invalidGrant('The authorization code is invalid.');
  const now = deps.clock.now();
  const result = await deps.storage.codes.consume(deps.keyring.digest('token', code).toString('hex'), now);
  if (result.outcome === 'unknown') throw invalidGrant('The authorization code is invalid.');
  if (result.outcome === 'reused') {
    await revokeExchange(deps, result.code);
    await deps.storage.audit.record({
      id: deps.ids(ID_PREFIX.auditEvent),
      event: 'oauth.authorization_code_reused',
      organizationId: result.code.organizationId,
      data: { client_id: result.code.clientId, user_id: result.code.userId },
      context: { actor_type: 'client', actor_id: app.clientId, ip: null, request_id: null },
      createdAt: now,
    });
    throw invalidGrant('The authorization code was already used; the tokens it produced are revoked.');
  }
  const c = result.code;
  if (c.clientId !== app.clientId) throw invalidGrant('The authorization code was issued to another client.');
  if (c.expiresAt <= now) throw invalidGrant('The authorization code has expired.');
  // The redirect_uri, when sent, must be the one of the authorization request (RFC 6749 §4.1.3).
  const redirectUri = form.get('redirect_uri');
  if (redirectUri !== undefined && redirectUri !== c.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request.');
  const verifier = form.get('code_verifier');
  if (c.codeChallenge !== null) {
    if (verifier === undefined || !verifierMatches(verifier, c.codeChallenge)) throw invalidGrant('PKCE verification failed.');
  } else if (verifier !== undefined) {
    // A verifier without a challenge on file is a downgrade attempt (RFC 9700 §2.1.1).
    throw invalidGrant('No code_challenge was sent with the authorization request.');
  }
  if (client.method === 'none' && c.codeChallenge === null) throw invalidGrant('Public clients must use PKCE.');
  const consent = await deps.storage.consents.get(c.consentId);
  const user = await deps.storage.users.get(c.userId);
  if (!consent || !user) throw invalidGrant('The authorization was withdrawn.');

  const grant: Grant = c;
  const access = issueUserAccessToken(deps, app, grant, c.scopes);
  let refresh: string | undefined;
  let familyId: string | null = null;
  if (c.scopes.includes('offline_access')) {
    const rt = newRefreshToken(deps);
    familyId = deps.ids(ID_PREFIX.bare);
    await deps.storage.refreshTokens.create({
      ...grant,
      id: deps.ids(ID_PREFIX.bare),
      digest: rt.digest,
      familyId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.config.refreshTokenTtl * 1000),
      accessJti: access.jti,
      accessExp: access.exp,
    });
    refresh = rt.plaintext;
  }
  await deps.storage.codes.attachTokens(c.digest, familyId, access.jti, access.exp);
  const idToken = c.scopes.includes('openid') ? issueIdToken(deps, app, grant, c.scopes, user, c.nonce) : undefined;
  return tokenResponse(access, deps, c.scopes, { ...(refresh !== undefined && { refresh_token: refresh }), ...(idToken !== undefined && { id_token: idToken }) });
};
