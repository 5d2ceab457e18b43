import { OAuthError } from '../../domain/errors.ts';
import { isSubset, parseScopeParam } from '../../domain/scopes.ts';
import { resolveAudience } from '../audience.ts';
import type { OAuthDeps } from '../deps.ts';
import { mintM2MAccessToken } from '../tokens/issue.ts';
import type { GrantModule } from './types.ts';

export type ClientCredentialsDeps = Pick<OAuthDeps, 'config' | 'clock' | 'ids' | 'keys' | 'environmentClientId'>;

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4), for M2M applications only.
 * Scope rule (RFC 6749 §3.3, documented default): requested ⊆ the app's
 * scopes -> exactly those; omitted -> all of the app's scopes.
 */
export const clientCredentials: GrantModule<ClientCredentialsDeps> = {
  grantType: 'client_credentials',
  parameters: ['scope', 'resource'],
  async handle({ params, client }, deps) {
    const app = client.application;
    // OAuth 2.1 §4.2: only confidential clients; WorkOS: only M2M applications.
    if (app.type !== 'm2m' || client.method === 'none') {
      throw new OAuthError('unauthorized_client', 'This client may not use the client_credentials grant.');
    }
    const requested = params.get('scope');
    let scopes: readonly string[] = app.scopes;
    if (requested !== undefined) {
      const parsed = parseScopeParam(requested);
      if (parsed === null || !isSubset(parsed, app.scopes)) throw new OAuthError('invalid_scope', 'The requested scope exceeds what this application was granted.');
      scopes = parsed;
    }
    return mintM2MAccessToken(deps, app, scopes, resolveAudience(deps, params));
  },
};
