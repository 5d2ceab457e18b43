// Types of portico/resource-server (index.mjs), written by hand: the module is plain JavaScript
// so that it runs from node_modules, where Node does not strip types.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** RFC 6750 §3.1 `invalid_token` (401): expired, malformed, badly signed, another issuer or audience. */
export declare class InvalidTokenError extends Error {
  constructor(message: string, options?: ErrorOptions);
  readonly code: 'invalid_token';
  readonly status: 401;
}

/** RFC 6750 §3.1 `insufficient_scope` (403). */
export declare class InsufficientScopeError extends Error {
  constructor(requiredScopes: readonly string[], grantedScopes: readonly string[]);
  readonly code: 'insufficient_scope';
  readonly status: 403;
  readonly requiredScopes: readonly string[];
  /** The required scopes the token lacks. */
  readonly missingScopes: readonly string[];
  /** The required scopes, space-separated: the challenge's `scope` attribute. */
  readonly scope: string;
}

/** RFC 6750 §3.1 `invalid_request` (400): an Authorization header that is not `Bearer <b64token>`. */
export declare class InvalidRequestError extends Error {
  constructor(message: string);
  readonly code: 'invalid_request';
  readonly status: 400;
}

/** The key set could not be fetched: answered 503, never accepted (fail closed). */
export declare class VerifierUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions);
  readonly code: 'temporarily_unavailable';
  readonly status: 503;
}

/** RFC 9728 §2 protected-resource metadata. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly ('header' | 'body' | 'query')[];
  readonly resource_name?: string;
}

export interface ProtectedResourceMetadataOptions {
  /** This server's resource identifier: exactly an entry of Portico's PORTICO_RESOURCES. */
  readonly resource: string;
  /** Issuer identifiers, e.g. `[PORTICO_ISSUER]`. */
  readonly authorizationServers: readonly string[];
  /** Scopes clients may request for this resource (MCP clients request these when told nothing else). */
  readonly scopesSupported: readonly string[];
  readonly resourceName?: string | undefined;
  /** Default `['header']`, the only method `authenticate` reads. */
  readonly bearerMethodsSupported?: readonly ('header' | 'body' | 'query')[] | undefined;
}

/** The RFC 9728 §2 document; throws TypeError on an unusable option. */
export declare function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ProtectedResourceMetadata;

/** `https://host/.well-known/oauth-protected-resource/<path>` for `https://host/<path>` (RFC 9728 §3.1). */
export declare function metadataUrl(resource: string): string;

/** Answers GET/HEAD/OPTIONS (405 otherwise) on the metadata's well-known path and returns true; false for other paths. */
export declare function serveMetadata(req: IncomingMessage, res: ServerResponse, metadata: ProtectedResourceMetadata): boolean;

/** A fetch as jose's createRemoteJWKSet calls it (url, { headers, method: 'GET', redirect: 'manual', signal }). */
export type JwksFetch = (url: string, init: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal }) => Promise<Response>;

export interface VerifierOptions {
  /** Portico's issuer (PORTICO_ISSUER), compared exactly with `iss`. */
  readonly issuer: string;
  /** This server's resource identifier, compared exactly with `aud`: it must be the PORTICO_RESOURCES entry. */
  readonly resource: string;
  /** Default `<issuer>/oauth2/jwks`. */
  readonly jwksUrl?: string | undefined;
  /** Leeway for `exp` and `nbf`, default 0. */
  readonly clockToleranceSeconds?: number | undefined;
  /** The fetch used for the key set (default the global fetch). */
  readonly fetch?: JwksFetch | undefined;
  /** The current time for `exp`/`nbf` checks (default the system clock). */
  readonly now?: (() => Date) | undefined;
}

/** What a verified token says. */
export interface TokenInfo {
  /** The raw access token. */
  readonly token: string;
  /** `sub`: the user's ID, or the M2M application's client ID. */
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** `org_id`, or null when the token names no organization. */
  readonly organizationId: string | null;
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
  /** The verifier's resource (= `aud`). */
  readonly resource: string;
  /** Every claim of the token (custom consent claims included). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface VerifyOptions {
  /** Scopes the token must all carry, else InsufficientScopeError. */
  readonly requiredScopes?: readonly string[] | undefined;
}

export interface Verifier {
  readonly issuer: string;
  readonly resource: string;
  readonly jwksUrl: string;
  /** Rejects with InvalidTokenError, InsufficientScopeError or VerifierUnavailableError. */
  verify(token: string, options?: VerifyOptions): Promise<TokenInfo>;
}

/** Checks signature (cached remote JWKS; RS256/ES256/EdDSA only), `typ` at+jwt, `iss`, `aud`, `exp`/`nbf` and required claims. */
export declare function createVerifier(options: VerifierOptions): Verifier;

export interface AuthenticateOptions extends VerifyOptions {
  readonly verifier: Verifier;
  /** metadataUrl(resource): sent as `resource_metadata` in every challenge (RFC 9728 §5.1). */
  readonly resourceMetadataUrl?: string | undefined;
}

/** The token's information, or null after answering 400/401/403/503 itself. */
export declare function authenticate(req: IncomingMessage, res: ServerResponse, options: AuthenticateOptions): Promise<TokenInfo | null>;

/** The token of a `Bearer` Authorization header, null without one; throws InvalidRequestError when malformed. */
export declare function bearerToken(header: string | undefined): string | null;

export interface ChallengeParts {
  readonly error?: string | undefined;
  readonly description?: string | undefined;
  readonly scope?: string | undefined;
  readonly resourceMetadataUrl?: string | undefined;
}

/** A `WWW-Authenticate: Bearer …` value (RFC 6750 §3, RFC 9728 §5.1). */
export declare function bearerChallenge(parts?: ChallengeParts): string;

/** The MCP SDK's AuthInfo (server/auth/types.js), structurally. */
export interface McpAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  resource: URL;
  extra: { subject: string; organizationId: string | null; claims: Readonly<Record<string, unknown>> };
}

/** The error classes requireBearerAuth recognises (`@modelcontextprotocol/sdk/server/auth/errors.js`). */
export interface McpErrorClasses {
  readonly InvalidTokenError: new (message: string) => Error;
  readonly ServerError: new (message: string) => Error;
}

/** AuthInfo for a verified token: extra = { subject, organizationId, claims }. */
export declare function mcpAuthInfo(info: TokenInfo): McpAuthInfo;

/**
 * An OAuthTokenVerifier for requireBearerAuth. Throws the SDK's InvalidTokenError (401) and
 * ServerError (500), loaded from `@modelcontextprotocol/sdk/server/auth/errors.js` unless `errors` is given.
 */
export declare function mcpTokenVerifier(verifier: Verifier, options?: { readonly errors?: McpErrorClasses | undefined }): McpTokenVerifier;

/** The SDK's OAuthTokenVerifier (server/auth/provider.js), structurally. */
export interface McpTokenVerifier {
  verifyAccessToken(token: string): Promise<McpAuthInfo>;
}
