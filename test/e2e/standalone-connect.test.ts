// Issue #4: Standalone Connect driven by the official SDK: the company's backend completes the
// login with workos.connect.completeOAuth2; consent options become claims; organizations are chosen;
// authorized applications are listed and revoked. Every management response is checked against the spec.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GenericServerException, NotFoundException, WorkOS } from '@workos-inc/node';
import { decodeJwt } from 'jose';
import { checkResponse, recordResponses, type RecordedResponse } from '../contract/openapi.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { CookieJar, exchangeCode, get, hiddenFields, pkcePair, postForm } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'https://thirdparty.example.test/callback';
const LOGIN_URL = 'https://login.company.test/sso';

function sdk(server: TestServer): WorkOS {
  const { hostname, port } = new URL(server.baseUrl);
  return new WorkOS(server.apiKey, { apiHostname: hostname, port: Number(port), https: false, maxRetries: 0 });
}

/** Starts an authorization and returns the external_auth_id the company's login page receives. */
async function startAuthorization(server: TestServer, clientId: string, jar: CookieJar, extra: Record<string, string> = {}): Promise<{ externalAuthId: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const url = new URL(`${server.baseUrl}/oauth2/authorize`);
  const params = { client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email offline_access posts:read', state: 'st', nonce: 'nn', code_challenge: challenge, code_challenge_method: 'S256', ...extra };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await get(url.toString(), jar);
  assert.equal(res.status, 302);
  const login = new URL(res.headers.get('location')!);
  assert.equal(`${login.origin}${login.pathname}`, LOGIN_URL);
  return { externalAuthId: login.searchParams.get('external_auth_id')!, verifier };
}

/** Follows Portico's steps in the browser (cookie jar) after the company's login; returns the client redirect. */
async function finishInBrowser(server: TestServer, startUrl: string, jar: CookieJar, answers: Record<string, string> = {}, steps: string[] = []): Promise<URL> {
  let res = await get(startUrl, jar);
  for (let i = 0; i < 6; i++) {
    const next = new URL(res.headers.get('location')!, server.baseUrl);
    if (!next.href.startsWith(server.baseUrl)) return next;
    steps.push(next.pathname);
    if (next.pathname === '/oauth2/authorize/organization' || next.pathname === '/oauth2/authorize/consent') {
      const page = await get(next.toString(), jar);
      const html = await page.text();
      res = await postForm(next.toString().split('?')[0]!, jar, { ...hiddenFields(html), decision: 'allow', ...answers });
    } else {
      res = await get(next.toString(), jar);
    }
  }
  throw new Error('the flow did not reach the client');
}

for (const dialect of DIALECTS) {
  describe(`Standalone Connect with the WorkOS SDK (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let workos: WorkOS;
    let orgA: string;
    let orgB: string;
    let app: { id: string; client_id: string };
    const recorded: RecordedResponse[] = [];

    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_LOGIN_URL: LOGIN_URL }, configure: (a) => recordResponses(a, recorded) });
      workos = sdk(server);
      orgA = (await workos.organizations.createOrganization({ name: 'Alpha' })).id;
      orgB = (await workos.organizations.createOrganization({ name: 'Beta' })).id;
      const created = await workos.connect.createApplication({
        applicationType: 'oauth',
        name: 'Third Party Tool',
        isFirstParty: false,
        organizationId: orgA,
        usesPkce: true,
        redirectUris: [{ uri: REDIRECT }],
        scopes: ['posts:read'],
      } as never);
      app = { id: created.id, client_id: created.clientId };
    });
    after(async () => {
      await server.close();
    });

    it('authorize sends the browser to PORTICO_LOGIN_URL; completeOAuth2 answers where it resumes; consent options become claims', async () => {
      const jar = new CookieJar();
      const { externalAuthId, verifier } = await startAuthorization(server, app.client_id, jar);
      assert.match(externalAuthId, /^ext_auth_[0-9A-Z]{26}$/);
      const { redirectUri } = await workos.connect.completeOAuth2({
        externalAuthId,
        user: { id: 'company-user-1', email: 'Grace@Company.test', firstName: 'Grace', lastName: 'Hopper', metadata: { team: 'compilers' } },
        userConsentOptions: [{ claim: 'urn:company:tenant', type: 'enum', label: 'Tenant', choices: [{ value: 'prod_us', label: 'Production US' }, { value: 'staging', label: 'Staging' }] }],
      } as never);
      assert.ok(redirectUri.startsWith(`${server.baseUrl}/oauth2/authorize/complete?state=`));

      // The consent page offers the option; the user picks "staging".
      const callback = await finishInBrowser(server, redirectUri, jar, { 'claim:urn:company:tenant': 'staging' });
      assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT);
      assert.equal(callback.searchParams.get('state'), 'st');
      const tokens = (await (await exchangeCode(server, { grant_type: 'authorization_code', redirect_uri: REDIRECT, code: callback.searchParams.get('code')!, client_id: app.client_id, code_verifier: verifier })).json()) as {
        access_token: string;
        id_token: string;
      };
      const access = decodeJwt(tokens.access_token);
      const id = decodeJwt(tokens.id_token);
      assert.equal(access['urn:company:tenant'], 'staging');
      assert.equal(id['urn:company:tenant'], 'staging');
      assert.equal(id.email, 'grace@company.test');
      assert.equal(id.nonce, 'nn');
      assert.equal(access.sub, id.sub);
      const user = await workos.userManagement.getUser(String(access.sub));
      assert.equal(user.externalId, 'company-user-1');
      assert.deepEqual(user.metadata, { team: 'compilers' });

      // The external_auth_id is single-use.
      await assert.rejects(workos.connect.completeOAuth2({ externalAuthId, user: { id: 'company-user-1', email: 'grace@company.test' } } as never), (e: unknown) => {
        assert.ok(e instanceof GenericServerException);
        assert.equal(e.status, 400);
        assert.equal((e.rawData as { code: string }).code, 'external_auth_session_already_completed');
        return true;
      });
    });

    it('completeOAuth2 errors: unknown ID 404, email taken 400 email_not_available, invalid email, reserved claim', async () => {
      await assert.rejects(workos.connect.completeOAuth2({ externalAuthId: 'ext_auth_01HXYZ123456789ABCDEFGHIJ', user: { id: 'x', email: 'x@company.test' } } as never), NotFoundException);
      const code = async (user: Record<string, unknown>, options?: unknown[]) => {
        const { externalAuthId } = await startAuthorization(server, app.client_id, new CookieJar());
        try {
          await workos.connect.completeOAuth2({ externalAuthId, user, ...(options && { userConsentOptions: options }) } as never);
        } catch (e) {
          return ((e as GenericServerException).rawData as { code?: string }).code;
        }
        return 'ok';
      };
      assert.equal(await code({ id: 'company-user-2', email: 'grace@company.test' }), 'email_not_available');
      assert.equal(await code({ id: 'company-user-3', email: 'not-an-email' }), 'invalid_email');
      assert.equal(await code({ id: 'company-user-4', email: 'ok@company.test' }, [{ claim: 'sub', type: 'enum', label: 'x', choices: [{ value: 'a', label: 'a' }] }]), 'reserved_claim');
      // The same external ID logs in again with a new address: the user is updated, not duplicated.
      assert.equal(await code({ id: 'company-user-1', email: 'grace.hopper@company.test' }), 'ok');
    });

    it('a member of several organizations chooses one; it becomes org_id', async () => {
      const jar = new CookieJar();
      const first = await startAuthorization(server, app.client_id, jar);
      const { redirectUri } = await workos.connect.completeOAuth2({ externalAuthId: first.externalAuthId, user: { id: 'company-user-5', email: 'multi@company.test' } } as never);
      // No membership yet: straight to consent. Finish, and learn the user ID from the token.
      const callback = await finishInBrowser(server, redirectUri, jar);
      const tokens = (await (await exchangeCode(server, { grant_type: 'authorization_code', redirect_uri: REDIRECT, code: callback.searchParams.get('code')!, client_id: app.client_id, code_verifier: first.verifier })).json()) as { access_token: string };
      const sub = String(decodeJwt(tokens.access_token).sub);
      assert.equal(decodeJwt(tokens.access_token).org_id, undefined);

      for (const organizationId of [orgA, orgB]) await workos.userManagement.createOrganizationMembership({ userId: sub, organizationId });
      const memberships = await workos.userManagement.listOrganizationMemberships({ userId: sub });
      assert.deepEqual(memberships.data.map((m) => m.organizationId).sort(), [orgA, orgB].sort());

      // Next authorization in the same browser: session, so no login; organization chooser, then consent.
      const { verifier, challenge } = pkcePair();
      const url = new URL(`${server.baseUrl}/oauth2/authorize`);
      for (const [k, v] of Object.entries({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid posts:read', code_challenge: challenge, code_challenge_method: 'S256' })) url.searchParams.set(k, v);
      const steps: string[] = [];
      const finished = await finishInBrowser(server, url.toString(), jar, { organization_id: orgB }, steps);
      // No login step (the session from the first authorization); the chooser, then consent for this organization.
      assert.deepEqual(steps, ['/oauth2/authorize/organization', '/oauth2/authorize/continue', '/oauth2/authorize/consent']);
      const chosen = (await (await exchangeCode(server, { grant_type: 'authorization_code', redirect_uri: REDIRECT, code: finished.searchParams.get('code')!, client_id: app.client_id, code_verifier: verifier })).json()) as { access_token: string };
      assert.equal(decodeJwt(chosen.access_token).org_id, orgB);

      // Authorized applications: one consent per (organization, resource).
      const listed = (await (await api(server, `/user_management/users/${sub}/authorized_applications`)).json()) as { data: { id: string; granted_scopes: string[]; application: { id: string } }[] };
      assert.equal(listed.data.length, 2);
      assert.ok(listed.data.every((c) => c.application.id === app.id && /^authorized_connect_app_/.test(c.id)));
      const del = await api(server, `/user_management/users/${sub}/authorized_applications/${app.client_id}`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      assert.deepEqual(((await (await api(server, `/user_management/users/${sub}/authorized_applications`)).json()) as { data: unknown[] }).data, []);
      assert.equal((await api(server, `/user_management/users/${sub}/authorized_applications/${app.client_id}`, { method: 'DELETE' })).status, 404);
      assert.equal((await api(server, '/user_management/users/user_01HXYZ123456789ABCDEFGHIJ/authorized_applications')).status, 404);
      await workos.userManagement.deleteOrganizationMembership(memberships.data[0]!.id);
    });

    it('every management response here conforms to the OpenAPI document', () => {
      const mine = recorded.filter((r) => r.path.startsWith('/user_management') || r.path.startsWith('/authkit'));
      assert.ok(mine.length >= 8, `recorded ${mine.length}`);
      assert.deepEqual(mine.flatMap(checkResponse), []);
    });
  });
}
