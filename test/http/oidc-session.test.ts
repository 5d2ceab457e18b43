// Issue #7 §3 and §4: a code is spent only by its own client; max_age, prompt=login, login_hint,
// id_token_hint and RP-initiated logout (OIDC Core §3.1.2.1, RP-Initiated Logout 1.0).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { CookieJar, exchangeCode, get, hiddenFields, pkcePair, postForm, runAuthorization } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'https://oidc.example.test/cb';
const LOGOUT_TARGET = 'https://oidc.example.test/signed-out';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const sessionOf = (jar: CookieJar) => /portico_session=([^;]+)/.exec(jar.header())?.[1];

for (const dialect of DIALECTS) {
  describe(`issue #7: codes, max_age, prompt=login, hints and logout (${dialect})`, dialectSuite(dialect), () => {
    let now = Date.now();
    let server: TestServer;
    let pub: { client_id: string };
    let conf: { id: string; client_id: string };
    let secret: string;
    let n = 0;
    const user = () => ({ id: `oidc-${dialect}-${++n}`, email: `oidc${n}-${dialect}@example.test` });
    before(async () => {
      server = await startServer(dialect, { clock: { now: () => new Date(now) } });
      pub = (await (await api(server, '/connect/applications', {
        method: 'POST',
        body: { name: 'Public', application_type: 'oauth', is_first_party: true, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }, { uri: LOGOUT_TARGET }] },
      })).json()) as { client_id: string };
      conf = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'Other', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: REDIRECT }] } })).json()) as { id: string; client_id: string };
      secret = ((await (await api(server, `/connect/applications/${conf.id}/client_secrets`, { method: 'POST', body: {} })).json()) as { secret: string }).secret;
    });
    after(async () => {
      await server.close();
    });

    const flow = async (u: { id: string; email: string }, extra: Record<string, string> = {}, jar?: CookieJar) => {
      const { verifier, challenge } = pkcePair();
      const r = await runAuthorization(server, {
        params: { client_id: pub.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email', state: 'st', code_challenge: challenge, code_challenge_method: 'S256', ...extra },
        user: u,
        ...(jar && { jar }),
      });
      return { ...r, verifier, code: r.callback.searchParams.get('code') };
    };
    const exchange = async (code: string, verifier: string) => {
      const res = await exchangeCode(server, { grant_type: 'authorization_code', code, client_id: pub.client_id, code_verifier: verifier, redirect_uri: REDIRECT });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as { id_token: string };
    };

    it("issue #7: another client sending a code gets invalid_grant and the code stays good for its own client (RFC 6749 §4.1.3)", async () => {
      const r = await flow(user());
      const stolen = await exchangeCode(server, { grant_type: 'authorization_code', code: r.code!, code_verifier: r.verifier, redirect_uri: REDIRECT }, { id: conf.client_id, secret });
      assert.equal(stolen.status, 400);
      assert.equal(((await stolen.json()) as { error: string }).error, 'invalid_grant');
      await exchange(r.code!, r.verifier);
    });

    it('issue #8: last_sign_in_at is stamped by each sign-in (it used to be always null)', async () => {
      const u = user();
      const first = await flow(u);
      const sub = claimsOf((await exchange(first.code!, first.verifier)).id_token).sub as string;
      const read = async () => ((await (await api(server, `/user_management/users/${sub}`)).json()) as { last_sign_in_at: string | null }).last_sign_in_at;
      const stamped = await read();
      assert.equal(stamped, new Date(now).toISOString());
      now += 60_000;
      await flow(u, { prompt: 'login' }, first.jar);
      assert.equal(await read(), new Date(now).toISOString());
    });

    it('issue #7: max_age=0 signs in again like prompt=login; a larger max_age reuses a fresh session and not an older one; auth_time follows', async () => {
      const u = user();
      const first = await flow(u);
      const authTime = claimsOf((await exchange(first.code!, first.verifier)).id_token).auth_time as number;
      assert.deepEqual((await flow(u, { max_age: '3600' }, first.jar)).steps, []);
      assert.deepEqual((await flow(u, { max_age: '0' }, first.jar)).steps, ['login']);
      now += 2 * 3600_000;
      const stale = await flow(u, { max_age: '3600' }, first.jar);
      assert.deepEqual(stale.steps, ['login']);
      const fresh = claimsOf((await exchange(stale.code!, stale.verifier)).id_token).auth_time as number;
      assert.ok(fresh >= authTime + 7200, `auth_time ${fresh} after ${authTime}`);
      const badAge = await get(`${server.baseUrl}/oauth2/authorize?${new URLSearchParams({ client_id: pub.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', max_age: '-1', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`, new CookieJar());
      assert.equal(new URL(badAge.headers.get('location')!).searchParams.get('error'), 'invalid_request');
    });

    it('issue #7: prompt=login ends the old session of that browser once the new sign-in completes', async () => {
      const u = user();
      const first = await flow(u);
      const old = sessionOf(first.jar)!;
      await flow(u, { prompt: 'login' }, first.jar);
      assert.notEqual(sessionOf(first.jar), old);
      const replay = await fetch(`${server.baseUrl}/oauth2/authorize?${new URLSearchParams({ client_id: pub.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', prompt: 'none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual', headers: { cookie: `portico_session=${old}` } });
      assert.equal(new URL(replay.headers.get('location')!).searchParams.get('error'), 'login_required');
    });

    it('issue #7: login_hint goes on to the login page (and fills the development login); id_token_hint keeps another user\'s session from being used', async () => {
      const jar = new CookieJar();
      const start = await get(`${server.baseUrl}/oauth2/authorize?${new URLSearchParams({ client_id: pub.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', login_hint: 'ada@example.test', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`, jar);
      const login = new URL(start.headers.get('location')!);
      assert.equal(login.searchParams.get('login_hint'), 'ada@example.test');
      assert.match(await (await get(login.toString(), jar)).text(), /value="ada@example\.test"/);

      const a = user();
      const b = user();
      const aFlow = await flow(a);
      const aIdToken = (await exchange(aFlow.code!, aFlow.verifier)).id_token;
      const bFlow = await flow(b);
      // B's browser, A's hint: no silent answer for A from B's session.
      const mismatch = await flow(b, { prompt: 'none', id_token_hint: aIdToken }, bFlow.jar);
      assert.equal(mismatch.callback.searchParams.get('error'), 'login_required');
      const match = await flow(a, { prompt: 'none', id_token_hint: aIdToken }, aFlow.jar);
      assert.ok(match.code);
      const forged = await flow(a, { prompt: 'none', id_token_hint: `${aIdToken}x` }, aFlow.jar);
      assert.equal(forged.callback.searchParams.get('error'), 'invalid_request');
    });

    it('issue #7: RP-initiated logout with id_token_hint ends the session and returns to a registered post_logout_redirect_uri with state', async () => {
      const metadata = (await (await fetch(`${server.baseUrl}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
      assert.equal(metadata.end_session_endpoint, `${server.baseUrl}/oauth2/logout`);
      const u = user();
      const f = await flow(u);
      const idToken = (await exchange(f.code!, f.verifier)).id_token;
      // An unregistered target is an error page, never a redirect.
      const evil = await get(`${metadata.end_session_endpoint}?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example.test/' })}`, f.jar);
      assert.equal(evil.status, 400);
      assert.equal(evil.headers.get('location'), null);
      assert.equal((await flow(u, { prompt: 'none' }, f.jar)).code !== null, true, 'still signed in');
      const out = await get(`${metadata.end_session_endpoint}?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: LOGOUT_TARGET, state: 'bye' })}`, f.jar);
      assert.equal(out.status, 302);
      assert.equal(out.headers.get('location'), `${LOGOUT_TARGET}?state=bye`);
      assert.equal(sessionOf(f.jar), undefined);
      assert.equal((await flow(u, { prompt: 'none' }, f.jar)).callback.searchParams.get('error'), 'login_required');
      // An expired ID token is still a good hint (RP-Initiated Logout §2).
      const g = await flow(u);
      const hint = (await exchange(g.code!, g.verifier)).id_token;
      now += 2 * 3600_000;
      const late = await get(`${metadata.end_session_endpoint}?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_TARGET })}`, g.jar);
      assert.equal(late.status, 302);
      assert.equal(sessionOf(g.jar), undefined);
    });

    it('issue #7: logout without a hint asks first, and refuses a form without its CSRF token', async () => {
      const u = user();
      const f = await flow(u);
      const ask = await get(`${server.baseUrl}/oauth2/logout?${new URLSearchParams({ client_id: pub.client_id, post_logout_redirect_uri: LOGOUT_TARGET, state: 's1' })}`, f.jar);
      assert.equal(ask.status, 200);
      const fields = hiddenFields(await ask.text());
      assert.equal((await postForm(`${server.baseUrl}/oauth2/logout`, f.jar, { ...fields, csrf: 'nope', decision: 'signout' })).status, 403);
      assert.ok(sessionOf(f.jar));
      const stay = await postForm(`${server.baseUrl}/oauth2/logout`, f.jar, { ...fields, decision: 'stay' });
      assert.equal(stay.status, 303);
      assert.ok((await flow(u, { prompt: 'none' }, f.jar)).code);
      const out = await postForm(`${server.baseUrl}/oauth2/logout`, f.jar, { ...fields, decision: 'signout' });
      assert.equal(out.status, 303);
      assert.equal(out.headers.get('location'), `${LOGOUT_TARGET}?state=s1`);
      assert.equal((await flow(u, { prompt: 'none' }, f.jar)).callback.searchParams.get('error'), 'login_required');
      // Without a session there is nothing to ask; without a target, a page says so.
      const none = await get(`${server.baseUrl}/oauth2/logout`, new CookieJar());
      assert.equal(none.status, 200);
      assert.match(await none.text(), /You are signed out/);
    });
  });
}
