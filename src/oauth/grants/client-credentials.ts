import { ID_PREFIX } from '../../domain/ids.ts';
import { isSubset, parseScopeParam } from '../../domain/scopes.ts';
import { OAuthError } from '../errors.ts';
import { resolveAudience } from '../resource.ts';
import { signJwt } from '../tokens/jwt.ts';
import type { GrantHandler, TokenResponse } from './types.ts';

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4), for M2M applications only.
 * Scope rule (RFC 6749 §3.3, documented default): requested ⊆ the app's
 * scopes -> exactly those; omitted -> all of the app's scopes.
 */
export const clientCredentials: GrantHandler = async ({ deps, form, client }): Promise<TokenResponse> => {
  const app = client.application;
  // OAuth 2.1 §4.2: only confidential clients; WorkOS: only M2M applications.
  if (app.type !== 'm2m' || client.method === 'none') {
    throw new OAuthError('unauthorized_client', 'This client may not use the client_credentials grant.');
  }
  const requested = form.get('scope');
  let scopes: readonly string[] = app.scopes;
  if (requested !== undefined) {
    const parsed = parseScopeParam(requested);
    if (parsed === null || !isSubset(parsed, app.scopes)) throw new OAuthError('invalid_scope', 'The requested scope exceeds what this application was granted.');
    scopes = parsed;
  }
  const aud = resolveAudience(deps, form);
  const signer = deps.keys.signer();
  if (!signer) throw new Error('no signing key');
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
  return { access_token: signJwt(signer, claims), token_type: 'Bearer', expires_in: ttl, scope };
};
