// Issue #10 §1: Client ID Metadata Documents. A client_id that is an https URL is fetched through the
// outbound module, validated, cached by max-age in its application row, and used like a third-party
// public client; every hostile document gets its documented error and leaves no row. Security bar
// §6 items 29, 30 and 33.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { claudeCodeDocument, startMetadataServer, vsCodeDocument } from '../support/metadata-server.ts';
import { CookieJar, exchangeCode, get, hiddenFields, pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const RESOURCE = 'https://mcp.example.test';

for (const dialect of DIALECTS) {
  describe(`issue #10: client ID metadata documents (${dialect})`, dialectSuite(dialect), () => {
    let docs: Awaited<ReturnType<typeof startMetadataServer>>;
    let server: TestServer;
    const clock = manualClock();
    let n = 0;
    const user = () => ({ id: `cimd-${dialect}-${++n}`, email: `cimd${n}-${dialect}@example.test` });
    before(async () => {
      docs = await startMetadataServer();
      server = await startServer(dialect, {
        clock,
        env: {
          PORTICO_CLIENT_ID_METADATA_DOCUMENTS: 'on',
          PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on',
          PORTICO_OUTBOUND_CA_FILE: docs.caFile,
          PORTICO_DYNAMIC_CLIENT_SCOPES: 'notes:read',
          PORTICO_RESOURCES: RESOURCE,
        },
      });
    });
    after(async () => {
      await server.close();
      await docs.close();
    });
    const authorize = (clientId: string, redirectUri: string, extra: Record<string, string> = {}) => {
      const url = new URL(`${server.baseUrl}/oauth2/authorize`);
      const pk = pkcePair();
      for (const [k, v] of Object.entries({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid notes:read', state: 's', code_challenge: pk.challenge, code_challenge_method: 'S256', ...extra })) url.searchParams.set(k, v);
      return { url: url.toString(), verifier: pk.verifier };
    };
    const apps = async () => ((await (await api(server, '/connect/applications?limit=100')).json()) as { data: { client_id: string; was_dynamically_registered?: boolean; organization_id?: string }[] }).data;

    it('issue #10 / security bar 30: discovery advertises metadata documents and private_key_jwt', async () => {
      const meta = (await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      assert.equal(meta.client_id_metadata_document_supported, true);
      assert.ok((meta.token_endpoint_auth_methods_supported as string[]).includes('private_key_jwt'));
      assert.ok((meta.token_endpoint_auth_methods_supported as string[]).includes('none'));
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.equal(meta.issuer, server.baseUrl);
    });

    it('issue #10 / security bar 29: a VS Code-shaped document signs a user in end to end; aud is the resource; it is a Connect application with no organization', async () => {
      const clientId = docs.serve('/vscode/client-metadata.json', vsCodeDocument(`${docs.base}/vscode/client-metadata.json`));
      const pk = pkcePair();
      const r = await runAuthorization(server, {
        params: { client_id: clientId, redirect_uri: 'http://127.0.0.1:51234/', response_type: 'code', scope: 'openid notes:read', state: 's', code_challenge: pk.challenge, code_challenge_method: 'S256', resource: `${RESOURCE}/` },
        user: user(),
      });
      assert.deepEqual(r.steps, ['login', 'consent']);
      const code = r.callback.searchParams.get('code')!;
      const res = await exchangeCode(server, { grant_type: 'authorization_code', code, client_id: clientId, code_verifier: pk.verifier, redirect_uri: 'http://127.0.0.1:51234/', resource: RESOURCE });
      assert.equal(res.status, 200, await res.clone().text());
      const { access_token } = (await res.json()) as { access_token: string };
      const claims = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims.aud, RESOURCE, 'one trailing slash more names the configured resource');
      assert.equal(claims.client_id, clientId);
      assert.equal(claims.scope, 'openid notes:read');
      const listed = (await apps()).find((a) => a.client_id === clientId)!;
      assert.equal(listed.was_dynamically_registered, true);
      assert.equal(listed.organization_id, undefined);
    });

    it('issue #10 / security bar 33: consent names the client and shows the document host; a redirect_uri not in the document is an error page', async () => {
      const clientId = docs.serve('/claude/meta', claudeCodeDocument(`${docs.base}/claude/meta`));
      const jar = new CookieJar();
      const first = await get(authorize(clientId, 'http://127.0.0.1:40000/callback').url, jar);
      const externalAuthId = new URL(first.headers.get('location')!).searchParams.get('external_auth_id')!;
      const done = await api(server, '/authkit/oauth2/complete', { method: 'POST', body: { external_auth_id: externalAuthId, user: user() } });
      const resumed = await get(((await done.json()) as { redirect_uri: string }).redirect_uri, jar);
      const consent = await get(new URL(resumed.headers.get('location')!, server.baseUrl).toString(), jar);
      const html = await consent.text();
      assert.match(html, /Claude Code/);
      assert.match(html, /describes itself at <strong>127\.0\.0\.1:\d+<\/strong>/);
      assert.ok(hiddenFields(html).csrf);
      const wrong = await fetch(authorize(clientId, 'https://evil.example.test/callback').url, { redirect: 'manual' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.headers.get('location'), null);
    });
  });
}
