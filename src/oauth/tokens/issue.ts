import { grantableScopes, type Application } from '../../domain/application.ts';
import { OIDC_SCOPES, type Grant, type RefreshToken } from '../../domain/authorization.ts';
import { SigningKeyUnavailableError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { randomToken } from '../../domain/random.ts';
import type { User } from '../../domain/user.ts';
import type { Repositories } from '../../storage/port.ts';
import type { OAuthDeps } from '../deps.ts';
import type { KeyStore, Signer } from '../keys/key-store.ts';
import { signJwt } from './jwt.ts';
import type { LiveAccessToken } from './live.ts';

/** RFC 6749 §5.1 successful response (plus OIDC's id_token). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  /** RFC 8693 §2.2.1: what a token exchange issued. */
  readonly issued_token_type?: string;
}

/** What minting tokens needs. */
export type TokenDeps = Pick<OAuthDeps, 'config' | 'clock' | 'ids' | 'keys' | 'keyring' | 'random' | 'environmentClientId'>;

function signer(keys: Pick<KeyStore, 'signer'>): Signer {
  const s = keys.signer();
  if (!s) throw new SigningKeyUnavailableError();
  return s;
}

/**
 * An M2M access token (`client_credentials`, WorkOS claims): `sub` and
 * `client_id` = the application's client ID, `org_id` = its organization,
 * `aud` = the RFC 8707 resource or the environment's client ID; no `sid`.
 */
export async function mintM2MAccessToken(deps: Pick<TokenDeps, 'config' | 'clock' | 'ids' | 'keys'>, app: Application, scopes: readonly string[], aud: string): Promise<TokenResponse> {
  const ttl = deps.config.m2mTokenTtl;
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  const scope = scopes.join(' ');
  const claims = {
    iss: deps.config.issuer,
    sub: app.clientId,
    aud,
    client_id: app.clientId,
    org_id: app.organizationId,
    scope,
    jti: deps.ids(ID_PREFIX.bare),
    iat,
    exp: iat + ttl,
  };
  return { access_token: await signJwt(signer(deps.keys), claims), token_type: 'Bearer', expires_in: ttl, scope };
}

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

export function planAccess(deps: Pick<TokenDeps, 'config' | 'clock' | 'ids'>): PlannedAccess {
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  return { jti: deps.ids(ID_PREFIX.bare), iat, exp: new Date((iat + deps.config.accessTokenTtl) * 1000) };
}

/**
 * A user access token (WorkOS claims): `sub` = user, `aud` = the RFC 8707
 * resource or the environment's client ID, `sid` = the consent, `org_id` when
 * an organization was chosen, plus the user's consent-option choices.
 */
function signUserAccessToken(deps: Pick<TokenDeps, 'config' | 'keys' | 'environmentClientId'>, app: Application, grant: Grant, scopes: readonly string[], plan: PlannedAccess): Promise<string> {
  const { jti, iat } = plan;
  const exp = Math.floor(plan.exp.getTime() / 1000);
  return signJwt(signer(deps.keys), {
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
function issueIdToken(deps: Pick<TokenDeps, 'config' | 'clock' | 'keys'>, app: Application, grant: Grant, scopes: readonly string[], user: User, nonce: string | null): Promise<string> {
  const s = signer(deps.keys);
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  return signJwt({ ...s, headerB64: s.idHeaderB64 }, {
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
export function newRefreshToken(deps: Pick<TokenDeps, 'keyring' | 'random'>): { plaintext: string; digest: string } {
  const plaintext = randomToken(deps.random);
  return { plaintext, digest: tokenDigest(deps, plaintext) };
}

function tokenResponse(accessToken: string, deps: Pick<TokenDeps, 'config'>, scopes: readonly string[], extra: { refresh_token?: string; id_token?: string }): TokenResponse {
  return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.config.accessTokenTtl, scope: scopes.join(' '), ...extra };
}

/** What issuing a user's tokens needs: minting, and storage for the refresh token. */
export type UserTokenDeps = TokenDeps & Pick<OAuthDeps, 'storage'>;

/** A refresh token decided (with `offline_access`) but not stored yet: its plaintext and the row that stores it. */
export interface PlannedRefresh {
  readonly plaintext: string;
  readonly row: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>;
}

/**
 * The row that stores a refresh token (its digest) in family `familyId`,
 * lifetime PORTICO_REFRESH_TOKEN_TTL from now, tied to the access token
 * planned in `access` (so a reuse can revoke it): a sign-in's first refresh
 * token, and every rotation's successor.
 */
export function refreshRow(deps: Pick<TokenDeps, 'clock' | 'config' | 'ids'>, grant: Grant, scopes: readonly string[], access: PlannedAccess, familyId: string, digest: string): Omit<RefreshToken, 'rotatedAt' | 'revokedAt'> {
  const now = deps.clock.now();
  return {
    ...grant,
    scopes: [...scopes],
    id: deps.ids(ID_PREFIX.bare),
    digest,
    familyId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + deps.config.refreshTokenTtl * 1000),
    accessJti: access.jti,
    accessExp: access.exp,
  };
}

/**
 * The refresh token of a sign-in answer, in family `familyId`; null without
 * `offline_access`. The caller stores `row` (in the transaction that spends
 * the code or device code, confirmSignIn).
 */
function planRefresh(deps: Pick<TokenDeps, 'clock' | 'config' | 'ids' | 'keyring' | 'random'>, grant: Grant, scopes: readonly string[], access: PlannedAccess, familyId: string): PlannedRefresh | null {
  if (!scopes.includes('offline_access')) return null;
  const rt = newRefreshToken(deps);
  return { plaintext: rt.plaintext, row: refreshRow(deps, grant, scopes, access, familyId, rt.digest) };
}

/**
 * The answer of a grant that signs a user in, once its refresh token (if
 * any) is stored: the access token planned in `access`, and an ID token with
 * `openid` (and the user). Both signatures are made at once (with
 * PORTICO_SIGNING=async on two threadpool threads).
 */
export async function signUserTokens(
  deps: UserTokenDeps,
  app: Application,
  grant: Grant,
  scopes: readonly string[],
  access: PlannedAccess,
  options: { readonly refreshToken: string | null; readonly nonce: string | null; readonly user: User | null },
): Promise<TokenResponse> {
  const { refreshToken, user } = options;
  // No re-check for a racing code reuse here (issue #12): the code grant spends the code and stores the refresh
  // token in one transaction, so a reuse, which waits for that commit, always finds the token to revoke; and a
  // device code presented again revokes nothing (issue #11).
  const [accessToken, idToken] = await Promise.all([
    signUserAccessToken(deps, app, grant, scopes, access),
    scopes.includes('openid') && user !== null ? issueIdToken(deps, app, grant, scopes, user, options.nonce) : undefined,
  ]);
  return tokenResponse(accessToken, deps, scopes, {
    ...(refreshToken !== null && { refresh_token: refreshToken }),
    ...(idToken !== undefined && { id_token: idToken }),
  });
}

/** A sign-in that still stands, its refresh token stored: what signUserTokens needs. */
export interface ConfirmedSignIn {
  readonly user: User;
  readonly scopes: string[];
  readonly refresh: PlannedRefresh | null;
}

/**
 * Inside the transaction that spends a code or a device code (issues #11,
 * #12): the consent, the user and the organization membership still hold,
 * the scopes are cut to what the application may still be granted, and the
 * refresh token (with `offline_access`) is stored, so spending and storing
 * commit together. Null when the authorization was withdrawn meanwhile.
 */
export async function confirmSignIn(
  tx: Pick<Repositories, 'consents' | 'users' | 'memberships' | 'refreshTokens'>,
  deps: Pick<TokenDeps, 'clock' | 'config' | 'ids' | 'keyring' | 'random'>,
  app: Application,
  grant: Grant,
  access: PlannedAccess,
  familyId: string,
): Promise<ConfirmedSignIn | null> {
  const [consent, user, scopes] = await Promise.all([tx.consents.get(grant.consentId), tx.users.get(grant.userId), entitledScopes({ storage: tx, config: deps.config }, app, grant, grant.scopes)]);
  if (!consent || !user || scopes === null) return null;
  const refresh = planRefresh(deps, { ...grant, scopes }, scopes, access, familyId);
  if (refresh !== null) await tx.refreshTokens.create(refresh.row);
  return { user, scopes, refresh };
}

/** RFC 8693 §3: the token type Portico exchanges and issues. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * An exchanged access token (RFC 8693 §2.2): the subject's `sub`, `org_id`,
 * `sid` and consent-option claims (`carried`), `aud` = the target resource,
 * `client_id` and `act.sub` = the exchanging client (§4.1; the subject's own
 * `act` nested inside, most recent actor outermost), `exchanged_from` = the
 * subject's `jti` and its chain (revocation follows it, tokens/live.ts), and
 * an expiry that never passes the subject's.
 */
export async function signExchangedAccessToken(
  deps: Pick<TokenDeps, 'config' | 'clock' | 'ids' | 'keys'>,
  actor: Application,
  live: Pick<LiveAccessToken, 'claims' | 'chain'>,
  carried: Readonly<Record<string, unknown>>,
  target: { readonly aud: string; readonly scopes: readonly string[] },
): Promise<TokenResponse> {
  const subject = live.claims;
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  const exp = Math.min(iat + deps.config.accessTokenTtl, subject.exp);
  const scope = target.scopes.join(' ');
  const token = await signJwt(signer(deps.keys), {
    ...carried,
    iss: deps.config.issuer,
    sub: subject.sub,
    aud: target.aud,
    client_id: actor.clientId,
    ...(subject.org_id !== undefined && { org_id: subject.org_id }),
    ...(subject.sid !== undefined && { sid: subject.sid }),
    scope,
    jti: deps.ids(ID_PREFIX.bare),
    iat,
    exp,
    act: { sub: actor.clientId, ...(subject.act !== undefined && { act: subject.act }) },
    exchanged_from: live.chain,
  });
  return { access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: exp - iat, scope };
}

/**
 * What the grant still entitles: the user must still belong to the token's
 * organization, and scopes an administrator removed from the application are
 * no longer issued. Null when the grant is no longer valid at all.
 */
export async function entitledScopes(
  deps: { readonly storage: Pick<Repositories, 'memberships'>; readonly config: OAuthDeps['config'] },
  app: Application,
  grant: Grant,
  scopes: readonly string[],
): Promise<string[] | null> {
  if (grant.organizationId !== null && !(await deps.storage.memberships.exists(grant.userId, grant.organizationId))) return null;
  const allowed = new Set<string>([...OIDC_SCOPES, ...grantableScopes(app, deps.config.dynamicClientScopes)]);
  return scopes.filter((s) => allowed.has(s));
}
