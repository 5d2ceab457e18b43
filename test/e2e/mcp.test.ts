// Issue #10 (item 4, resource servers): the real MCP SDK clients, @modelcontextprotocol/sdk 1.32.2 and
// @modelcontextprotocol/client 2.4.0, connect to a real SDK McpServer guarded by portico/resource-server
// (the SDK's requireBearerAuth with mcpTokenVerifier, and authenticate() on node:http), with a
// pre-registered public third-party app (PKCE): the first request is a 401 pointing at the RFC 9728
// metadata, the SDK discovers Portico, the harness plays the login and consent, the SDK sends the
// resource, which becomes `aud`, tools/call sees the user, and an expired access token is refreshed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { UnauthorizedError as V1Unauthorized } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport, UnauthorizedError as V2Unauthorized } from '@modelcontextprotocol/client';
import { mcpResource, PorticoClientProvider, recordingFetch, startMcpServer, type Guard, type McpTestServer, type SentRequest, type Whoami } from '../support/mcp.ts';
import * as sdkErrors from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { createVerifier, mcpTokenVerifier } from 'portico/resource-server';
import { manualClock } from '../support/oauth-deps.ts';
import { seedM2MClient, tokenRequest } from '../support/seed.ts';
import { api, freePort, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'http://127.0.0.1/callback';
type Fetch = ReturnType<typeof recordingFetch>['fetch'];

/** A connected client, or not yet; either way the transport to finish an authorization on. */
type Attempt = { connected: boolean; finish(callback: URL): Promise<void>; whoami(): Promise<Whoami>; close(): Promise<void> };

interface Sdk {
  readonly name: string;
  /** 2.x adds offline_access when the authorization server lists it and the client may refresh; 1.x asks for exactly what it was told. */
  readonly addsOfflineAccess: boolean;
  isUnauthorized(err: unknown): boolean;
  connect(url: URL, provider: PorticoClientProvider, fetch: Fetch): Promise<Attempt>;
}

/** The part of either SDK's Client the test uses. */
interface SdkClient<T> {
  connect(transport: T): Promise<void>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

/** Connects `client` over `transport`; an UnauthorizedError leaves it unconnected, waiting for `finish`. */
async function attempt<T>(sdk: Pick<Sdk, 'isUnauthorized'>, client: SdkClient<T>, transport: T, finish: (callback: URL) => Promise<void>): Promise<Attempt> {
  const connected = await client.connect(transport).then(() => true, (err: unknown) => (sdk.isUnauthorized(err) ? false : Promise.reject(err)));
  return {
    connected,
    finish,
    async whoami() {
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as { content: { type: string; text: string }[] };
      return JSON.parse(result.content[0]!.text) as Whoami;
    },
    close: () => client.close(),
  };
}

const SDKS: Sdk[] = [
  {
    name: '@modelcontextprotocol/sdk 1.32.2',
    addsOfflineAccess: false,
    isUnauthorized: (err) => err instanceof V1Unauthorized,
    connect(url, provider, fetch) {
      const transport = new V1Transport(url, { authProvider: provider, fetch });
      return attempt(this, new V1Client({ name: 'portico-test', version: '1.0.0' }), transport, (callback) => transport.finishAuth(callback.searchParams.get('code')!));
    },
  },
  {
    name: '@modelcontextprotocol/client 2.4.0',
    addsOfflineAccess: true,
    isUnauthorized: (err) => err instanceof V2Unauthorized,
    connect(url, provider, fetch) {
      const transport = new V2Transport(url, { authProvider: provider, fetch });
      // 2.x checks the callback's iss (RFC 9207) when given the whole query.
      return attempt(this, new V2Client({ name: 'portico-test', version: '1.0.0' }), transport, (callback) => transport.finishAuth(callback.searchParams));
    },
  },
];

const tokenRequests = (sent: SentRequest[], grant: string) => sent.filter((r) => r.url.endsWith('/oauth2/token') && r.form?.grant_type === grant);

describe('MCP SDK clients against an MCP server guarded by portico/resource-server (issue #10)', () => {
  const clock = manualClock();
  let portico: TestServer;
  let appClientId: string;
  const servers = new Map<Guard, McpTestServer>();
  let n = 0;

  before(async () => {
    const ports = { requireBearerAuth: await freePort(), authenticate: await freePort() };
    portico = await startServer('sqlite', { clock, env: { PORTICO_RESOURCES: Object.values(ports).map((p) => mcpResource(p)).join(',') } });
    const org = ((await (await api(portico, '/organizations', { method: 'POST', body: { name: 'MCP Org' } })).json()) as { id: string }).id;
    const app = await api(portico, '/connect/applications', {
      method: 'POST',
      body: { name: 'MCP client', application_type: 'oauth', is_first_party: false, organization_id: org, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }], scopes: ['mcp:tools'] },
    });
    assert.equal(app.status, 201, await app.clone().text());
    appClientId = ((await app.json()) as { client_id: string }).client_id;
    for (const guard of ['requireBearerAuth', 'authenticate'] as const) {
      servers.set(guard, await startMcpServer({ port: ports[guard], issuer: portico.baseUrl, guard, now: () => clock.now() }));
    }
  });
  after(async () => {
    for (const server of servers.values()) await server.close();
    await portico.close();
  });

  it('issue #10: mcpTokenVerifier gives AuthInfo for a valid token, and the SDK\'s InvalidTokenError / ServerError otherwise', async () => {
    const mcp = servers.get('authenticate')!;
    const m2m = await seedM2MClient(portico, ['mcp:tools']);
    const res = await tokenRequest(portico, { grant_type: 'client_credentials', resource: mcp.resource }, { id: m2m.clientId, secret: m2m.secret });
    const { access_token: token } = (await res.json()) as { access_token: string };
    const verifier = createVerifier({ issuer: portico.baseUrl, resource: mcp.resource, now: () => clock.now() });
    const info = await mcpTokenVerifier(verifier).verifyAccessToken(token);
    assert.deepEqual([info.clientId, info.scopes, info.resource.href, info.extra.subject, info.extra.organizationId], [m2m.clientId, ['mcp:tools'], mcp.resource, m2m.clientId, m2m.orgId]);
    // Found by import from the helper, or given: either way the classes requireBearerAuth maps.
    for (const adapter of [mcpTokenVerifier(verifier), mcpTokenVerifier(verifier, { errors: sdkErrors })]) {
      await assert.rejects(adapter.verifyAccessToken(`${token}x`), (err) => err instanceof sdkErrors.InvalidTokenError && err.message === 'The access token signature is invalid');
    }
    const unreadable = createVerifier({ issuer: portico.baseUrl, resource: mcp.resource, jwksUrl: `${portico.baseUrl}/no-jwks` });
    await assert.rejects(mcpTokenVerifier(unreadable).verifyAccessToken(token), (err) => err instanceof sdkErrors.ServerError);
  });

  for (const sdk of SDKS) {
    for (const guard of ['requireBearerAuth', 'authenticate'] as const) {
      it(`issue #10: ${sdk.name}, server guarded by ${guard}: 401 -> metadata -> Portico sign-in -> aud = resource -> tools/call -> refresh`, async () => {
        const mcp = servers.get(guard)!;
        const user = { id: `mcp-user-${++n}`, email: `mcp${n}@example.test` };
        const provider = new PorticoClientProvider({ portico, redirectUrl: REDIRECT, user, clientInformation: { client_id: appClientId } });
        const { fetch, sent } = recordingFetch();

        const first = await sdk.connect(new URL(mcp.resource), provider, fetch);
        assert.equal(first.connected, false, 'the first connect must need an authorization');
        // The first request is a token-less POST answered 401 with the metadata's URL (RFC 9728 §5.1).
        assert.deepEqual([sent[0]?.method, sent[0]?.url, sent[0]?.status, sent[0]?.authorization], ['POST', mcp.resource, 401, null]);
        // authenticate() sends no error code without a token (RFC 6750 §3.1); requireBearerAuth does, with its required scopes.
        const challenge = guard === 'authenticate' ? `Bearer resource_metadata="${mcp.metadataUrl}"` : `Bearer error="invalid_token", error_description="Missing Authorization header", scope="mcp:tools", resource_metadata="${mcp.metadataUrl}"`;
        assert.equal(sent[0]?.wwwAuthenticate, challenge);
        const gets = sent.filter((r) => r.method === 'GET').map((r) => `${r.url} ${r.status}`);
        assert.ok(gets.includes(`${mcp.metadataUrl} 200`), gets.join('\n'));
        assert.ok(gets.includes(`${portico.baseUrl}/.well-known/oauth-authorization-server 200`), gets.join('\n'));

        // The authorization request: the metadata's resource, verbatim; PKCE; the challenge's scope when it has
        // one (requireBearerAuth's), else the metadata's scopes_supported (MCP scope selection).
        const scopes = guard === 'authenticate' || sdk.addsOfflineAccess ? ['mcp:tools', 'offline_access'] : ['mcp:tools'];
        const refreshable = scopes.includes('offline_access');
        const [authorization] = provider.authorizationUrls;
        assert.equal(authorization?.searchParams.get('resource'), mcp.resource);
        assert.equal(authorization?.searchParams.get('client_id'), appClientId);
        assert.equal(authorization?.searchParams.get('code_challenge_method'), 'S256');
        assert.deepEqual(authorization?.searchParams.get('scope')?.split(' ').sort(), scopes);
        assert.ok(provider.steps.includes('portico:login') && provider.steps.includes('portico:consent'), provider.steps.join(' '));
        assert.equal(provider.callbacks[0]?.searchParams.get('iss'), portico.baseUrl);

        await first.finish(provider.callbacks[0]!);
        await first.close();
        const [exchange] = tokenRequests(sent, 'authorization_code');
        assert.equal(exchange?.form?.resource, mcp.resource);
        assert.equal(exchange?.form?.client_id, appClientId);
        assert.equal(exchange?.authorization, null, 'a public client sends no secret');
        const firstToken = provider.tokens()!.access_token;
        const claims = decodeJwt(firstToken);
        assert.equal(claims.aud, mcp.resource);
        assert.equal(provider.tokens()!.refresh_token !== undefined, refreshable, 'a refresh token exactly with offline_access');
        // The other MCP server (the other guard) refuses it: its aud names this one.
        const other = servers.get(guard === 'authenticate' ? 'requireBearerAuth' : 'authenticate')!;
        const replay = await fetch(other.resource, {
          method: 'POST',
          headers: { authorization: `Bearer ${firstToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        assert.equal(replay.status, 401);
        assert.match(replay.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", error_description="The access token was not issued for this resource"/);

        const session = await sdk.connect(new URL(mcp.resource), provider, fetch);
        assert.ok(session.connected);
        try {
          const who = await session.whoami();
          assert.equal(who.subject, claims.sub);
          assert.match(who.subject, /^user_/);
          assert.equal(who.clientId, appClientId);
          assert.equal(who.aud, mcp.resource);
          assert.ok(who.scopes.includes('mcp:tools'), who.scopes.join(' '));

          // Ten minutes later (Portico's and the MCP server's clock): the access token (300 s) has expired.
          clock.advance(10 * 60_000);
          if (refreshable) {
            assert.equal((await session.whoami()).subject, who.subject);
            const [refresh] = tokenRequests(sent, 'refresh_token');
            assert.equal(refresh?.form?.resource, mcp.resource);
          } else {
            // Without a refresh token the SDK starts a new authorization (the browser session skips the login).
            await assert.rejects(session.whoami(), (err) => sdk.isUnauthorized(err));
            assert.equal(provider.authorizationUrls.length, 2);
            assert.equal(provider.steps.filter((step) => step === 'portico:login').length, 1, 'the browser session skipped the login');
            await session.finish(provider.callbacks[1]!);
            assert.equal((await session.whoami()).subject, who.subject);
          }
          const expired = sent.find((r) => r.url === mcp.resource && r.authorization === `Bearer ${firstToken}` && r.status === 401);
          assert.match(expired?.wwwAuthenticate ?? '', /error="invalid_token", error_description="The access token expired"/);
          const renewed = provider.tokens()!.access_token;
          assert.notEqual(renewed, firstToken);
          assert.equal(decodeJwt(renewed).aud, mcp.resource);
        } finally {
          await session.close();
        }
      });
    }
  }
});
