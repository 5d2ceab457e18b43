import type { FastifyInstance } from 'fastify';
import type { OAuthDeps } from './deps.ts';
import { ASSERTION_ALGS } from './clients/assertion.ts';
import { grants } from './grants/index.ts';

/**
 * Authorization server metadata (RFC 8414), advertising exactly what is
 * implemented: the grant list comes from the grant registry itself.
 */
export function serverMetadata(deps: OAuthDeps) {
  const iss = deps.config.issuer;
  const secretMethods = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer: iss,
    authorization_endpoint: `${iss}/oauth2/authorize`,
    token_endpoint: `${iss}/oauth2/token`,
    userinfo_endpoint: `${iss}/oauth2/userinfo`,
    jwks_uri: `${iss}/oauth2/jwks`,
    introspection_endpoint: `${iss}/oauth2/introspection`,
    revocation_endpoint: `${iss}/oauth2/revoke`,
    // RFC 8628 §4.
    device_authorization_endpoint: `${iss}/oauth2/device_authorization`,
    // OIDC RP-Initiated Logout 1.0.
    end_session_endpoint: `${iss}/oauth2/logout`,
    grant_types_supported: [...grants.keys()],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    // `none` only for public applications (uses_pkce), which must use PKCE; private_key_jwt for
    // metadata-document clients that publish keys (RFC 7523).
    token_endpoint_auth_methods_supported: [...secretMethods, 'none', ...(deps.config.clientIdMetadataDocuments ? ['private_key_jwt'] : [])],
    ...(deps.config.clientIdMetadataDocuments && { token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS], client_id_metadata_document_supported: true }),
    ...(deps.config.dynamicClientRegistration && { registration_endpoint: `${iss}/oauth2/register` }),
    introspection_endpoint_auth_methods_supported: secretMethods,
    revocation_endpoint_auth_methods_supported: [...secretMethods, 'none'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: every authorization response carries iss.
    authorization_response_iss_parameter_supported: true,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [deps.config.signingAlg],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'org_id', 'name', 'given_name', 'family_name', 'email', 'email_verified'],
  };
}

/** Discovery documents and the JWKS: public, cacheable, CORS-readable. */
export function discoveryRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const cors = { 'access-control-allow-origin': '*' };
  const metadata = JSON.stringify(serverMetadata(deps));
  const sendMetadata = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.headers({ ...cors, 'cache-control': 'public, max-age=300' }).type('application/json; charset=utf-8').send(metadata);
  app.get('/.well-known/oauth-authorization-server', sendMetadata);
  app.get('/.well-known/openid-configuration', sendMetadata);
  // RFC 8414 §3.1: with a path in the issuer, the metadata lives at the well-known path with the issuer's
  // path inserted after it (a proxy in front forwards it as it is); OIDC Discovery appends instead.
  const issuerPath = new URL(deps.config.issuer).pathname.replace(/\/+$/, '');
  if (issuerPath !== '') {
    app.get(`/.well-known/oauth-authorization-server${issuerPath}`, sendMetadata);
    app.get(`${issuerPath}/.well-known/openid-configuration`, sendMetadata);
  }
  const jwks = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.headers({ ...cors, 'cache-control': `public, max-age=${deps.config.jwksMaxAge}` }).send(deps.keys.jwks());
  app.get('/oauth2/jwks', jwks);
  // The WorkOS API host serves the same set per client ID.
  app.get('/sso/jwks/:clientId', jwks);
}
