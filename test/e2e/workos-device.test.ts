// Issue #11: the WorkOS API-host twins of CLI Auth with plain HTTP, every response validated against
// @workos/openapi-spec (DeviceAuthorizationResponse, UserlandAuthenticateResponse, their 400s): POST
// /user_management/authorize/device and POST /user_management/authenticate with the device_code grant,
// with the company's login (PORTICO_LOGIN_URL, completed through the official SDK's completeOAuth2) and
// a consent option on the device's consent page. Then the organization-wide authorized applications
// (GET, checked against the per-user list schema plus user_id, and DELETE), which revoke what they produced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkOS } from '@workos-inc/node';
import { decodeJwt } from 'jose';
import { checkResponse, recordResponses, type RecordedResponse } from '../contract/openapi.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { deviceSignInOverHttp } from '../support/device-http.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const LOGIN_URL = 'https://login.company.test/sso';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const post = (server: TestServer, path: string, body: unknown) =>
  fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

for (const dialect of DIALECTS) {
  describe(`issue #11: WorkOS CLI Auth twins and organization authorized applications (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let workos: WorkOS;
    let cli: { id: string; client_id: string };
    let org: string;
    const recorded: RecordedResponse[] = [];

    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_LOGIN_URL: LOGIN_URL, PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on' }, configure: (a) => recordResponses(a, recorded) });
      const { hostname, port } = new URL(server.baseUrl);
      workos = new WorkOS(server.apiKey, { apiHostname: hostname, port: Number(port), https: false, maxRetries: 0 });
      cli = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'Acme CLI', application_type: 'oauth', is_first_party: true, uses_pkce: true } })).json()) as typeof cli;
      org = (await workos.organizations.createOrganization({ name: 'Acme' })).id;
    });
    after(async () => {
      await server?.close();
    });

    /** The person at /device: the code, the company's login (via the SDK), the consent page with an option. */
    const approveInBrowser = async (userCode: string, user: { id: string; email: string }, decision: 'allow' | 'deny' = 'allow'): Promise<string> => {
      const { final, consentHtml } = await deviceSignInOverHttp(server, {
        userCode,
        user,
        decision,
        organizationId: org,
        claims: { 'urn:acme:region': 'eu' },
        complete: async (login) => {
          assert.equal(`${login.origin}${login.pathname}`, LOGIN_URL);
          return (
            await workos.connect.completeOAuth2({
              externalAuthId: login.searchParams.get('external_auth_id')!,
              user: { ...user, firstName: 'Lin', lastName: 'Ng' },
              userConsentOptions: [{ claim: 'urn:acme:region', type: 'enum', label: 'Region', choices: [{ value: 'eu', label: 'Europe' }, { value: 'us', label: 'US' }] }],
            } as never)
          ).redirectUri;
        },
      });
      assert.ok(consentHtml.includes(userCode), 'the consent page shows the code');
      return final.pathname;
    };
    const authenticate = (deviceCode: string, extra: Record<string, unknown> = {}) =>
      post(server, '/user_management/authenticate', { client_id: cli.client_id, grant_type: DEVICE_GRANT, device_code: deviceCode, ip_address: '203.0.113.42', user_agent: 'acme-cli/1.0', ...extra });

    it('authorize/device answers DeviceAuthorizationResponse; authenticate polls like the token endpoint and answers UserlandAuthenticateResponse', async () => {
      const res = await post(server, '/user_management/authorize/device', { client_id: cli.client_id });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const device = (await res.json()) as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number };
      assert.equal(device.verification_uri, `${server.baseUrl}/device`);
      assert.equal(device.verification_uri_complete, `${server.baseUrl}/device?user_code=${device.user_code}`);
      assert.deepEqual([device.expires_in, device.interval], [300, 5]);

      const pending = await authenticate(device.device_code);
      assert.equal(pending.status, 400);
      assert.equal(((await pending.json()) as { error: string }).error, 'authorization_pending');
      assert.equal(((await (await authenticate(device.device_code)).json()) as { error: string }).error, 'slow_down');

      // A member of the organization: the chooser is skipped (one membership), org_id comes along.
      const { user } = await server.storage.users.upsertByExternalId({ newId: `user_${'0'.repeat(26)}`.slice(0, 31), externalId: 'acme-lin', email: 'lin@acme.test', firstName: null, lastName: null, metadata: null, at: new Date() });
      await workos.userManagement.createOrganizationMembership({ userId: user.id, organizationId: org });
      assert.equal(await approveInBrowser(device.user_code, { id: 'acme-lin', email: 'lin@acme.test' }), '/device/approved');

      const ok = await authenticate(device.device_code);
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { user: { id: string; email: string; first_name: string }; organization_id: string; access_token: string; refresh_token: string; authentication_method: string };
      assert.equal(body.user.id, user.id);
      assert.equal(body.user.email, 'lin@acme.test');
      assert.equal(body.user.first_name, 'Lin');
      assert.equal(body.organization_id, org);
      assert.equal(body.authentication_method, 'ExternalAuth');
      assert.ok(body.refresh_token, 'AuthKit session scopes include offline_access');
      const claims = decodeJwt(body.access_token);
      assert.equal(claims.sub, user.id);
      assert.equal(claims.org_id, org);
      assert.equal(claims['urn:acme:region'], 'eu', 'the consent option chosen on the device consent page');
      assert.equal(claims.scope, 'openid profile email offline_access');
      const again = await authenticate(device.device_code);
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
    });

    it('errors as the document has them: unknown client, an M2M client, no client_id, another grant type, a denial', async () => {
      const unknown = await post(server, '/user_management/authorize/device', { client_id: 'client_NOPE' });
      assert.equal(unknown.status, 400);
      assert.deepEqual(await unknown.json(), { error: 'invalid_client', error_description: 'Unknown client' });
      const m2m = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'Backend', application_type: 'm2m', organization_id: org } })).json()) as { client_id: string };
      const refused = await post(server, '/user_management/authorize/device', { client_id: m2m.client_id });
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized_client');
      for (const body of [{}, { client_id: 7 }]) assert.equal((await post(server, '/user_management/authorize/device', body)).status, 400);
      const form = await fetch(`${server.baseUrl}/user_management/authorize/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${cli.client_id}` });
      assert.equal(((await form.json()) as { error: string }).error, 'invalid_request');
      const other = await post(server, '/user_management/authenticate', { client_id: cli.client_id, grant_type: 'authorization_code', code: 'x' });
      assert.equal(((await other.json()) as { error: string }).error, 'invalid_request');
      const noClient = await post(server, '/user_management/authenticate', { grant_type: DEVICE_GRANT, device_code: 'x' });
      assert.deepEqual([noClient.status, ((await noClient.json()) as { error: string }).error], [400, 'invalid_client']);

      const device = (await (await post(server, '/user_management/authorize/device', { client_id: cli.client_id })).json()) as { device_code: string; user_code: string };
      assert.equal(await approveInBrowser(device.user_code, { id: 'acme-ray', email: 'ray@acme.test' }, 'deny'), '/device/denied');
      const denied = await authenticate(device.device_code);
      assert.equal(((await denied.json()) as { error: string }).error, 'access_denied');
      const unknownCode = await authenticate('not-a-device-code');
      assert.equal(((await unknownCode.json()) as { error: string }).error, 'invalid_grant');
    });

    it('the twin does what /oauth2/token does around a grant: a registered (dynamic) client that signs in here is marked used, and both counters count it', async () => {
      const reg = await fetch(`${server.baseUrl}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Agent CLI', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }) });
      assert.equal(reg.status, 201, await reg.clone().text());
      const agent = ((await reg.json()) as { client_id: string }).client_id;
      const counter = (name: string, labels: string) => server.metrics.snapshot().counters[name]?.[labels] ?? 0;
      const issued = () => counter('portico_tokens_issued_total', 'grant="urn:ietf:params:oauth:grant-type:device_code"');
      const pendingErrors = () => counter('portico_token_errors_total', 'error="authorization_pending",grant="urn:ietf:params:oauth:grant-type:device_code"');
      const [issuedBefore, errorsBefore] = [issued(), pendingErrors()];
      const device = (await (await post(server, '/user_management/authorize/device', { client_id: agent })).json()) as { device_code: string; user_code: string };
      const poll = () => post(server, '/user_management/authenticate', { client_id: agent, grant_type: DEVICE_GRANT, device_code: device.device_code });
      assert.equal(((await (await poll()).json()) as { error: string }).error, 'authorization_pending');
      assert.equal(pendingErrors(), errorsBefore + 1, 'a refused poll is counted as the token endpoint counts it');
      assert.equal((await server.storage.applications.find(agent))!.dynamic!.lastUsedAt, null, 'a poll that got nothing is no use');
      await approveInBrowser(device.user_code, { id: 'acme-agent', email: 'agent@acme.test' });
      const ok = await poll();
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal(issued(), issuedBefore + 1);
      assert.ok((await server.storage.applications.find(agent))!.dynamic!.lastUsedAt, 'issue #10: a dynamic client that obtained tokens is used, never purged silently');
    });

    it('organization authorized applications: listed with user_id and the same pagination; DELETE withdraws them and what they produced', async () => {
      const third = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'Partner CLI', application_type: 'oauth', is_first_party: false, organization_id: org, uses_pkce: true } })).json()) as { id: string; client_id: string };
      const sessions: { device_code: string; user_code: string }[] = [];
      for (const [id, email] of [['acme-a', 'a@acme.test'], ['acme-b', 'b@acme.test']] as const) {
        const { user } = await server.storage.users.upsertByExternalId({ newId: `user_01${id.toUpperCase().replace('-', '')}`.padEnd(31, '0').slice(0, 31), externalId: id, email, firstName: null, lastName: null, metadata: null, at: new Date() });
        await workos.userManagement.createOrganizationMembership({ userId: user.id, organizationId: org });
        const device = (await (await post(server, '/user_management/authorize/device', { client_id: third.client_id })).json()) as { device_code: string; user_code: string };
        await approveInBrowser(device.user_code, { id, email });
        sessions.push(device);
      }
      // The first one redeems its code; the second is approved but not redeemed yet.
      const redeemed = (await (await post(server, '/user_management/authenticate', { client_id: third.client_id, grant_type: DEVICE_GRANT, device_code: sessions[0]!.device_code })).json()) as { refresh_token: string; access_token: string };

      const page1 = await api(server, `/organizations/${org}/authorized_applications?limit=1&order=asc`);
      assert.equal(page1.status, 200);
      const body1 = (await page1.json()) as { data: { id: string; user_id: string; application: { client_id: string } }[]; list_metadata: { after: string | null } };
      assert.equal(body1.data.length, 1);
      assert.ok(body1.list_metadata.after);
      const all = (await (await api(server, `/organizations/${org}/authorized_applications?limit=100`)).json()) as { data: { user_id: string; application: { client_id: string } }[] };
      assert.ok(all.data.filter((a) => a.application.client_id === third.client_id).length === 2);
      assert.equal((await api(server, '/organizations/org_01NOPE0000000000000000000/authorized_applications')).status, 404);

      assert.equal((await api(server, `/organizations/${org}/authorized_applications/${third.client_id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await api(server, `/organizations/${org}/authorized_applications/${third.client_id}`, { method: 'DELETE' })).status, 404);
      const refresh = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: redeemed.refresh_token, client_id: third.client_id }) });
      assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant');
      const userinfo = await fetch(`${server.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${redeemed.access_token}` } });
      assert.equal(userinfo.status, 401);
      const late = await post(server, '/user_management/authenticate', { client_id: third.client_id, grant_type: DEVICE_GRANT, device_code: sessions[1]!.device_code });
      assert.equal(((await late.json()) as { error: string }).error, 'invalid_grant', 'an approved, unredeemed code dies with its consent');
    });

    it('every recorded response conforms to @workos/openapi-spec (or its stand-in for the organization list)', () => {
      const twins = recorded.filter((r) => r.path.startsWith('/user_management/authorize/device') || r.path === '/user_management/authenticate' || r.path.includes('/authorized_applications'));
      assert.ok(twins.some((r) => r.path === '/user_management/authorize/device' && r.status === 200));
      assert.ok(twins.some((r) => r.path === '/user_management/authenticate' && r.status === 200));
      assert.ok(twins.some((r) => r.path === '/organizations/{organization_id}/authorized_applications' && r.status === 200));
      assert.deepEqual(twins.flatMap(checkResponse), []);
    });
  });
}
