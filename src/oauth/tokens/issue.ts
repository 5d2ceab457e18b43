import { randomBytes } from 'node:crypto';
import type { Application } from '../../domain/application.ts';
import type { Grant } from '../../domain/authorization.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { User } from '../../domain/user.ts';
import type { OAuthDeps } from '../deps.ts';
import type { TokenResponse } from '../grants/types.ts';
import { signJwt } from './jwt.ts';

export interface IssuedAccess {
  readonly token: string;
  readonly jti: string;
  readonly exp: Date;
}

/**
 * A user access token (WorkOS claims): `sub` = user, `aud` = the RFC 8707
 * resource or the environment's client ID, `sid` = the consent, `org_id` when
 * an organization was chosen, plus the user's consent-option choices.
 */
export function issueUserAccessToken(deps: OAuthDeps, app: Application, grant: Grant, scopes: readonly string[]): IssuedAccess {
  const signer = deps.keys.signer();
  if (!signer) throw new Error('no signing key');
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  const exp = iat + deps.config.accessTokenTtl;
  const jti = deps.ids(ID_PREFIX.bare);
  const token = signJwt(signer, {
    ...grant.claims,
    iss: deps.config.issuer,
    sub: grant.userId,
    aud: grant.resource ?? deps.environmentClientId,
    client_id: app.clientId,
    ...(grant.organizationId !== null && { org_id: grant.organizationId }),
    sid: grant.consentId,
    scope: scopes.join(' '),
    jti,
    iat,
    exp,
  });
  return { token, jti, exp: new Date(exp * 1000) };
}

/** OpenID Connect ID token: `aud` = the app's client ID, profile/email claims by scope. */
export function issueIdToken(deps: OAuthDeps, app: Application, grant: Grant, scopes: readonly string[], user: User, nonce: string | null): string {
  const signer = deps.keys.signer();
  if (!signer) throw new Error('no signing key');
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  return signJwt({ ...signer, headerB64: signer.idHeaderB64 }, {
    ...grant.claims,
    iss: deps.config.issuer,
    sub: grant.userId,
    aud: app.clientId,
    iat,
    exp: iat + deps.config.idTokenTtl,
    auth_time: Math.floor(grant.authTime.getTime() / 1000),
    sid: grant.consentId,
    ...(nonce !== null && { nonce }),
    ...(grant.organizationId !== null && { org_id: grant.organizationId }),
    ...profileClaims(user, scopes),
  });
}

/**
 * OIDC Core §5.4: `profile` -> names, `email` -> email and email_verified.
 * Claims without a value are left out, not sent as null (§5.3.2).
 */
export function profileClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    const name = [user.firstName, user.lastName].filter((p) => p !== null && p !== '').join(' ');
    if (name !== '') claims.name = name;
    if (user.firstName) claims.given_name = user.firstName;
    if (user.lastName) claims.family_name = user.lastName;
  }
  if (scopes.includes('email')) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}

/** A new opaque refresh token (256 bits) and the digest it is stored under. */
export function newRefreshToken(deps: OAuthDeps): { plaintext: string; digest: string } {
  const plaintext = randomBytes(32).toString('base64url');
  return { plaintext, digest: deps.keyring.digest('token', plaintext).toString('hex') };
}

export function tokenResponse(access: IssuedAccess, deps: OAuthDeps, scopes: readonly string[], extra: { refresh_token?: string; id_token?: string }): TokenResponse {
  return { access_token: access.token, token_type: 'Bearer', expires_in: deps.config.accessTokenTtl, scope: scopes.join(' '), ...extra };
}
