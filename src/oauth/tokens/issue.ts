import { randomBytes } from 'node:crypto';
import type { Application } from '../../domain/application.ts';
import { OIDC_SCOPES, type Grant } from '../../domain/authorization.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { User } from '../../domain/user.ts';
import type { OAuthDeps } from '../deps.ts';
import type { TokenResponse } from '../grants/types.ts';
import { signJwt } from './jwt.ts';

/**
 * An access token decided but not signed yet: its `jti` and expiry are stored
 * (on the code or refresh-token row) before the work that can fail, so a
 * concurrent reuse can revoke it; signing comes last.
 */
export interface PlannedAccess {
  readonly jti: string;
  readonly iat: number;
  readonly exp: Date;
}

export function planAccess(deps: OAuthDeps): PlannedAccess {
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  return { jti: deps.ids(ID_PREFIX.bare), iat, exp: new Date((iat + deps.config.accessTokenTtl) * 1000) };
}

/**
 * A user access token (WorkOS claims): `sub` = user, `aud` = the RFC 8707
 * resource or the environment's client ID, `sid` = the consent, `org_id` when
 * an organization was chosen, plus the user's consent-option choices.
 */
export function signUserAccessToken(deps: OAuthDeps, app: Application, grant: Grant, scopes: readonly string[], plan: PlannedAccess): string {
  const signer = deps.keys.signer();
  if (!signer) throw new Error('no signing key');
  const { jti, iat } = plan;
  const exp = Math.floor(plan.exp.getTime() / 1000);
  return signJwt(signer, {
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

/** The digest a code or refresh token is stored and looked up under (never the token itself). */
export function tokenDigest(deps: Pick<OAuthDeps, 'keyring'>, token: string): string {
  return deps.keyring.digest('token', token).toString('hex');
}

/** A new opaque refresh token (256 bits) and the digest it is stored under. */
export function newRefreshToken(deps: OAuthDeps): { plaintext: string; digest: string } {
  const plaintext = randomBytes(32).toString('base64url');
  return { plaintext, digest: tokenDigest(deps, plaintext) };
}

export function tokenResponse(accessToken: string, deps: OAuthDeps, scopes: readonly string[], extra: { refresh_token?: string; id_token?: string }): TokenResponse {
  return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.config.accessTokenTtl, scope: scopes.join(' '), ...extra };
}

/**
 * What the grant still entitles: the user must still belong to the token's
 * organization, and scopes an administrator removed from the application are
 * no longer issued. Null when the grant is no longer valid at all.
 */
export async function entitledScopes(deps: OAuthDeps, app: Application, grant: Grant, scopes: readonly string[]): Promise<string[] | null> {
  if (grant.organizationId !== null && !(await deps.storage.memberships.exists(grant.userId, grant.organizationId))) return null;
  const allowed = new Set<string>([...OIDC_SCOPES, ...app.scopes]);
  return scopes.filter((s) => allowed.has(s));
}
