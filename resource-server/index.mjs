// portico/resource-server: what an MCP server or API needs to accept Portico's access tokens.
// Plain JavaScript (Node does not strip types under node_modules); types in index.d.ts.
export { InsufficientScopeError, InvalidRequestError, InvalidTokenError, VerifierUnavailableError } from './errors.mjs';
export { metadataUrl, protectedResourceMetadata, serveMetadata } from './metadata.mjs';
export { createVerifier } from './verify.mjs';
export { authenticate, bearerChallenge, bearerToken } from './http.mjs';
export { mcpAuthInfo, mcpTokenVerifier } from './mcp.mjs';
