// Issue #10: an MCP server guarded by portico/resource-server, for end-to-end tests with the real
// MCP SDKs. A real SDK McpServer (one tool, `whoami`) behind StreamableHTTPServerTransport in
// stateless mode, on node:http, serving its RFC 9728 metadata; guarded either by the SDK's own
// requireBearerAuth with mcpTokenVerifier (on the SDK's Express app) or by authenticate().
// The OAuth client side lives in mcp-client.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { authenticate, createVerifier, mcpAuthInfo, mcpTokenVerifier, metadataUrl, protectedResourceMetadata, serveMetadata } from 'portico/resource-server';

export type Guard = 'requireBearerAuth' | 'authenticate';

export interface McpTestServerOptions {
  /** The port, chosen before Portico starts: the resource must be in its PORTICO_RESOURCES. */
  readonly port: number;
  /** The MCP endpoint's path, default `/mcp`; the resource is `http://127.0.0.1:<port><path>`. */
  readonly path?: string;
  readonly issuer: string;
  readonly guard: Guard;
  /** Scopes every MCP request needs (default `mcp:tools`). */
  readonly requiredScopes?: readonly string[];
  /** The metadata's scopes_supported (default `mcp:tools offline_access`: SDK 1.x asks for exactly these). */
  readonly scopesSupported?: readonly string[];
  /** The verifier's clock (share a manual clock with Portico to expire tokens). */
  readonly now?: () => Date;
}

/** One request the MCP server answered. */
export interface ServedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly status: number;
  readonly wwwAuthenticate: string | undefined;
}

export interface McpTestServer {
  /** The resource identifier: the MCP endpoint's URL, the token's `aud`. */
  readonly resource: string;
  readonly metadataUrl: string;
  readonly served: ServedRequest[];
  close(): Promise<void>;
}

/** What `whoami` answers: the token as the tool sees it (extra.authInfo). */
export interface Whoami {
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: string[];
  readonly organizationId: string | null;
  readonly aud: unknown;
}

export function mcpResource(port: number, path = '/mcp'): string {
  return `http://127.0.0.1:${port}${path}`;
}

/** A fresh McpServer per request (stateless mode, no sessionIdGenerator: nothing is kept between requests). */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'portico-test-mcp', version: '1.0.0' });
  server.registerTool('whoami', { description: "The caller's identity, from the access token" }, (extra) => {
    const auth = extra.authInfo;
    const claims = (auth?.extra?.claims ?? {}) as Record<string, unknown>;
    const who: Whoami = {
      subject: String(auth?.extra?.subject),
      clientId: auth?.clientId ?? '',
      scopes: auth?.scopes ?? [],
      organizationId: (auth?.extra?.organizationId as string | null | undefined) ?? null,
      aud: claims.aud,
    };
    return { content: [{ type: 'text', text: JSON.stringify(who) }] };
  });
  return server;
}

async function handleMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body?: unknown): Promise<void> {
  if (req.method !== 'POST') {
    // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
    res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null }));
    return;
  }
  const server = mcpServer();
  const transport = new StreamableHTTPServerTransport({});
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** Starts the MCP server on `options.port`. */
export async function startMcpServer(options: McpTestServerOptions): Promise<McpTestServer> {
  const path = options.path ?? '/mcp';
  const resource = mcpResource(options.port, path);
  const requiredScopes = [...(options.requiredScopes ?? ['mcp:tools'])];
  const verifier = createVerifier({ issuer: options.issuer, resource, now: options.now });
  const metadata = protectedResourceMetadata({ resource, authorizationServers: [options.issuer], scopesSupported: options.scopesSupported ?? ['mcp:tools', 'offline_access'], resourceName: 'Portico test MCP server' });
  const resourceMetadataUrl = metadataUrl(resource);
  const served: ServedRequest[] = [];

  let listener: (req: IncomingMessage, res: ServerResponse) => void;
  if (options.guard === 'requireBearerAuth') {
    // The SDK's own guard on the SDK's Express app; the helper only verifies tokens.
    const app = createMcpExpressApp({ host: '127.0.0.1' });
    app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => (serveMetadata(req, res, metadata) ? undefined : next()));
    app.all(path, requireBearerAuth({ verifier: mcpTokenVerifier(verifier), requiredScopes, resourceMetadataUrl }), (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
      handleMcp(req, res, req.body).catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
    listener = app;
  } else {
    listener = (req, res) => {
      if (serveMetadata(req, res, metadata)) return;
      if (new URL(req.url ?? '/', resource).pathname !== path) {
        res.writeHead(404).end();
        return;
      }
      authenticate(req, res, { verifier, requiredScopes, resourceMetadataUrl })
        .then((info) => {
          if (!info) return;
          // What requireBearerAuth would set: the transport hands req.auth to tools as extra.authInfo.
          return handleMcp(Object.assign(req, { auth: mcpAuthInfo(info) }), res);
        })
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    };
  }
  const http: Server = createServer((req, res) => {
    res.on('finish', () => {
      const header = res.getHeader('www-authenticate');
      served.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, status: res.statusCode, wwwAuthenticate: header === undefined ? undefined : String(header) });
    });
    listener(req, res);
  });
  await new Promise<void>((resolve) => http.listen(options.port, '127.0.0.1', resolve));
  if ((http.address() as AddressInfo).port !== options.port) throw new Error('the MCP server did not get its port');
  return {
    resource,
    metadataUrl: resourceMetadataUrl,
    served,
    close: () => new Promise<void>((resolve, reject) => {
      http.closeAllConnections();
      http.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}

export * from './mcp-client.ts';
