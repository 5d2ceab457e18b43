/**
 * The part of oidc-provider 9's API the token benchmark's peer server uses
 * (bench/peers/oidc-provider-server.ts); the package ships no types. See
 * node_modules/oidc-provider/lib/helpers/defaults.js for the full option set.
 */
declare module 'oidc-provider' {
  import type { JsonWebKey } from 'node:crypto';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** What `features.resourceIndicators.getResourceServerInfo` returns. */
  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg: string; kid?: string } };
  }

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none';
    scope?: string;
    id_token_signed_response_alg?: string;
  }

  /** The opaque request context oidc-provider hands to its hooks. */
  export type KoaContextWithOIDC = object;

  export interface Configuration {
    clients?: ClientMetadata[];
    jwks?: { keys: JsonWebKey[] };
    cookies?: { keys: string[] };
    routes?: { token?: string; jwks?: string };
    scopes?: string[];
    ttl?: { ClientCredentials?: number };
    features?: {
      clientCredentials?: { enabled: boolean };
      devInteractions?: { enabled: boolean };
      introspection?: { enabled: boolean };
      revocation?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: KoaContextWithOIDC, client: unknown, oneOf?: string[]) => string | string[] | undefined | Promise<string | string[] | undefined>;
        getResourceServerInfo?: (ctx: KoaContextWithOIDC, resourceIndicator: string, client: unknown) => ResourceServerInfo | Promise<ResourceServerInfo>;
        useGrantedResource?: (ctx: KoaContextWithOIDC, model: unknown) => boolean | Promise<boolean>;
      };
    };
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    /** Koa's request listener for node:http. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: 'server_error', listener: (ctx: KoaContextWithOIDC, err: Error) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
