// Issue #10 §5: the real MCP SDK clients (@modelcontextprotocol/sdk 1.32.2, @modelcontextprotocol/client
// 2.4.0) sign in to a real SDK McpServer guarded by portico/resource-server as clients nobody
// registered: through a Client ID Metadata Document (served over https on loopback) and through
// dynamic registration. 401 -> discovery -> CIMD or DCR -> login via /authkit/oauth2/complete and the
// consent page -> code exchange -> tools/call -> refresh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { UnauthorizedError as V1Unauthorized } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport, UnauthorizedError as V2Unauthorized } from '@modelcontextprotocol/client';
import { startMetadataServer } from '../support/metadata-server.ts';
import { mcpResource, PorticoClientProvider, recordingFetch, startMcpServer, type McpTestServer, type Whoami } from '../support/mcp.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { api, freePort, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'http://127.0.0.1/callback';
type Fetch = ReturnType<typeof recordingFetch>['fetch'];

/** One SDK: connect, and on an authorization, finish it with the callback. */
interface Sdk {
  readonly name: string;
  isUnauthorized(err: unknown): boolean;
  open(url: URL, provider: PorticoClientProvider, fetch: Fetch): { connect(): Promise<boolean>; finish(callback: URL): Promise<void>; whoami(): Promise<Whoami>; close(): Promise<void> };
}

function session<T>(client: { connect(t: T): Promise<void>; callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>; close(): Promise<void> }, transport: T, finish: (callback: URL) => Promise<void>, isUnauthorized: (err: unknown) => boolean) {
  return {
    connect: () => client.connect(transport).then(() => true, (err: unknown) => (isUnauthorized(err) ? false : Promise.reject(err))),
    finish,
    async whoami() {
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as { content: { text: string }[] };
      return JSON.parse(result.content[0]!.text) as Whoami;
    },
    close: () => client.close(),
  };
}

const SDKS: Sdk[] = [
  {
    name: '@modelcontextprotocol/sdk 1.32.2',
    isUnauthorized: (err) => err instanceof V1Unauthorized,
    open(url, provider, fetch) {
      const transport = new V1Transport(url, { authProvider: provider, fetch });
      return session(new V1Client({ name: 'portico-test', version: '1.0.0' }), transport, (cb) => transport.finishAuth(cb.searchParams.get('code')!), this.isUnauthorized);
    },
  },
  {
    name: '@modelcontextprotocol/client 2.4.0',
    isUnauthorized: (err) => err instanceof V2Unauthorized,
    open(url, provider, fetch) {
      const transport = new V2Transport(url, { authProvider: provider, fetch });
      return session(new V2Client({ name: 'portico-test', version: '1.0.0' }), transport, (cb) => transport.finishAuth(cb.searchParams), this.isUnauthorized);
    },
  },
];

describe('issue #10: MCP SDK clients nobody registered (CIMD and DCR)', () => {
  const clock = manualClock();
  let docs: Awaited<ReturnType<typeof startMetadataServer>>;
  let portico: TestServer;
  let mcp: McpTestServer;
  let n = 0;
  before(async () => {
    docs = await startMetadataServer();
    const port = await freePort();
    portico = await startServer('sqlite', {
      clock,
      env: {
        PORTICO_RESOURCES: mcpResource(port),
        PORTICO_CLIENT_ID_METADATA_DOCUMENTS: 'on',
        PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on',
        PORTICO_DYNAMIC_CLIENT_SCOPES: 'mcp:tools',
        PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on',
        PORTICO_OUTBOUND_CA_FILE: docs.caFile,
      },
    });
    mcp = await startMcpServer({ port, issuer: portico.baseUrl, guard: 'authenticate', now: () => clock.now() });
  });
  after(async () => {
    await mcp.close();
    await portico.close();
    await docs.close();
  });

  for (const sdk of SDKS) {
    for (const how of ['cimd', 'dcr'] as const) {
      it(`issue #10: ${sdk.name} through ${how === 'cimd' ? 'a client ID metadata document' : 'dynamic registration'}: sign-in, tools/call, refresh`, async () => {
        const user = { id: `mcp-dyn-${++n}`, email: `mcp-dyn${n}@example.test` };
        const docUrl = `${docs.base}/clients/${sdk.name.includes('2.4') ? 'v2' : 'v1'}/${n}.json`;
        if (how === 'cimd') {
          docs.serve(new URL(docUrl).pathname, {
            client_id: docUrl,
            client_name: `MCP ${sdk.name}`,
            redirect_uris: [REDIRECT],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none',
          });
        }
        const provider = new PorticoClientProvider({ portico, redirectUrl: REDIRECT, user, ...(how === 'cimd' ? { clientMetadataUrl: docUrl } : { clientMetadata: { client_name: `MCP ${sdk.name} (registered)` } }) });
        const { fetch, sent } = recordingFetch();
        const first = sdk.open(new URL(mcp.resource), provider, fetch);
        assert.equal(await first.connect(), false);
        assert.equal(sent[0]?.status, 401);
        const registrations = sent.filter((r) => r.url === `${portico.baseUrl}/oauth2/register`);
        const clientId = provider.client?.client_id;
        if (how === 'cimd') {
          assert.equal(registrations.length, 0, 'a metadata-document client does not register');
          assert.equal(clientId, docUrl);
          assert.equal(docs.hits(new URL(docUrl).pathname), 1, 'Portico fetched the document once');
        } else {
          assert.deepEqual(registrations.map((r) => r.status), [201]);
          assert.match(clientId ?? '', /^client_/);
        }
        assert.equal(provider.authorizationUrls[0]?.searchParams.get('client_id'), clientId);
        assert.ok(provider.steps.includes('portico:login') && provider.steps.includes('portico:consent'), provider.steps.join(' '));
        await first.finish(provider.callbacks[0]!);
        await first.close();
        const claims = decodeJwt(provider.tokens()!.access_token);
        assert.equal(claims.aud, mcp.resource);
        assert.equal(claims.client_id, clientId);
        // issue #10: the MCP server advertises offline_access, so every client here asks for it and gets a refresh token.
        assert.deepEqual(provider.authorizationUrls[0]?.searchParams.get('scope')?.split(' ').sort(), ['mcp:tools', 'offline_access']);
        const firstToken = provider.tokens()!.access_token;
        const refreshToken = provider.tokens()!.refresh_token;
        assert.ok(refreshToken !== undefined, 'a refresh token: the authorization asked for offline_access');

        const connected = sdk.open(new URL(mcp.resource), provider, fetch);
        assert.equal(await connected.connect(), true);
        try {
          const who = await connected.whoami();
          assert.equal(who.subject, claims.sub);
          assert.equal(who.clientId, clientId);
          clock.advance(10 * 60_000);
          // issue #10: the access token expired; the SDK refreshes with the refresh token (no new authorization).
          const authorizations = provider.authorizationUrls.length;
          assert.equal((await connected.whoami()).subject, who.subject);
          const refreshes = sent.filter((r) => r.url === `${portico.baseUrl}/oauth2/token` && r.form?.grant_type === 'refresh_token');
          assert.deepEqual(refreshes.map((r) => [r.form?.refresh_token, r.status]), [[refreshToken, 200]]);
          assert.equal(provider.authorizationUrls.length, authorizations, 'no new authorization: the refresh did it');
          assert.notEqual(provider.tokens()!.access_token, firstToken);
        } finally {
          await connected.close();
        }
        // In the management API: a Connect application registered by nobody, with no organization.
        const app = (await (await api(portico, `/connect/applications/${encodeURIComponent(clientId!)}`)).json()) as { was_dynamically_registered: boolean; organization_id?: string };
        assert.equal(app.was_dynamically_registered, true);
        assert.equal(app.organization_id, undefined);
      });
    }
  }
});
