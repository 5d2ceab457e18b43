/**
 * node-oidc-provider (npm `oidc-provider` 9) as the token benchmark's peer:
 * one confidential client (client_credentials, client_secret_basic, scope
 * `read`), JWT access tokens signed with PEER_ALG through resource
 * indicators (the only way v9 issues JWT client_credentials tokens): every
 * request defaults to the resource PEER_AUDIENCE, whose resource server info
 * asks for `accessTokenFormat: 'jwt'` signed with that algorithm. Tokens in
 * JWT format are not stored (oidc-provider only persists opaque ones), so the
 * default in-memory adapter holds nothing that grows with the load.
 *
 * Run by bench/token.ts with the same number of processes as Portico (see
 * bench/peers/cluster.ts for the environment).
 */
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { runPeer, type PeerConfig } from './cluster.ts';

function oidcProvider(config: PeerConfig) {
  const provider = new Provider(config.issuer, {
    clients: [
      {
        client_id: config.clientId,
        client_secret: config.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'read',
        // Client metadata is validated against the keystore, which holds only a PEER_ALG key.
        id_token_signed_response_alg: config.alg,
      },
    ],
    jwks: { keys: [{ ...config.privateJwk, alg: config.alg, use: 'sig' }] },
    // Identical on every worker; unused by this grant, set so that no development default is used.
    cookies: { keys: [`bench-cookies-${config.clientSecret}`] },
    // The same paths as Portico, so every target gets byte-identical requests.
    routes: { token: '/oauth2/token', jwks: '/oauth2/jwks' },
    scopes: ['read'],
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.audience,
        getResourceServerInfo: () => ({ scope: 'read', accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: config.alg } } }),
        useGrantedResource: () => true,
      },
    },
  });
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`oidc-provider server_error: ${err.stack ?? err.message}\n`);
  });
  return createServer(provider.callback());
}

runPeer('oidc-provider', oidcProvider);
