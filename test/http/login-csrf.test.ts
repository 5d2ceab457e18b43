// Issue #7 §1: the login CSRF of the attack review. Flow identifiers cannot be predicted, request IDs
// reveal nothing, a sign-in that would replace another user's session asks first, the development
// login is bound to its browser and CSRF-protected, and cookies carry __Host- on https.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { CookieJar, get, hiddenFields, pkcePair, postForm, runAuthorization } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'https://rp.example.test/cb';
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const decode = (s: string) => [...s].reduce((n, c) => n * 32n + BigInt(ALPHABET.indexOf(c)), 0n);
const encode = (n: bigint) => {
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
};

async function complete(server: TestServer, externalAuthId: string, user: { id: string; email: string }): Promise<Response> {
  return api(server, '/authkit/oauth2/complete', { method: 'POST', body: { external_auth_id: externalAuthId, user } });
}

for (const dialect of DIALECTS) {
  describe(`issue #7: login CSRF (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let clientId: string;
    before(async () => {
      server = await startServer(dialect);
      const org = ((await (await api(server, '/organizations', { method: 'POST', body: { name: 'CSRF' } })).json()) as { id: string }).id;
      clientId = ((await (await api(server, '/connect/applications', {
        method: 'POST',
        body: { name: 'Victim RP', application_type: 'oauth', is_first_party: false, organization_id: org, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }] },
      })).json()) as { client_id: string }).client_id;
    });
    after(async () => {
      await server.close();
    });
    const params = (extra: Record<string, string> = {}) => ({
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid email',
      state: 's',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    const authorizeUrl = (extra: Record<string, string> = {}) => `${server.baseUrl}/oauth2/authorize?${new URLSearchParams(params(extra))}`;

    it('issue #7: the attack of the review fails at the guessing step: request IDs tell nothing, external_auth_id is not "last + n"', async () => {
      const victim = new CookieJar();
      let hits = 0;
      let guesses = 0;
      for (let round = 0; round < 5; round++) {
        // The attacker floods a cheap endpoint while the victim's browser opens the authorize URL.
        const [observed, opened] = await Promise.all([
          Promise.all(Array.from({ length: 8 }, () => fetch(`${server.baseUrl}/health`))),
          get(authorizeUrl({ prompt: 'login' }), victim),
        ]);
        const requestIds = observed.map((r) => r.headers.get('x-request-id')!);
        const real = new URL(opened.headers.get('location')!).searchParams.get('external_auth_id')!;
        for (const id of requestIds) {
          assert.match(id, /^req_[0-9A-HJKMNP-TV-Z]{26}$/);
          // A ULID would start with the server's clock: these do not (2^50 ms is 35,000 years).
          const time = Number(decode(id.slice(4, 14)));
          assert.ok(Math.abs(time - Date.now()) > 86_400_000, `request ID ${id} carries the clock`);
        }
        const candidates = new Set<string>();
        for (const id of requestIds) for (let k = -20n; k <= 20n; k++) candidates.add(`ext_auth_${encode(decode(id.slice(4)) + k)}`);
        for (const guess of candidates) {
          guesses++;
          const res = await complete(server, guess, { id: 'attacker', email: 'attacker@example.test' });
          if (res.status === 200) hits++;
          else assert.equal(res.status, 404);
          if (guess === real) hits++;
        }
      }
      assert.equal(hits, 0, `${hits} of ${guesses} guessed external_auth_ids were live`);
    });

    it('issue #7: a sign-in that would replace another user\'s session asks "Continue as …?" first; "Stay" keeps it, "Continue" replaces it', async () => {
      const alice = { id: `alice-${dialect}`, email: `alice-${dialect}@example.test` };
      const mallory = { id: `mallory-${dialect}`, email: `mallory-${dialect}@example.test` };
      const first = await runAuthorization(server, { params: params(), user: alice });
      const jar = first.jar;
      const sessionOf = () => /portico_session=([^;]+)/.exec(jar.header())?.[1];
      const sessionBefore = sessionOf();

      const resumeAs = async (user: typeof mallory) => {
        const start = await get(authorizeUrl({ prompt: 'login' }), jar);
        const externalAuthId = new URL(start.headers.get('location')!).searchParams.get('external_auth_id')!;
        const done = await complete(server, externalAuthId, user);
        assert.equal(done.status, 200);
        return ((await done.json()) as { redirect_uri: string }).redirect_uri;
      };

      // Stay: no new session, the client hears access_denied, the link is dead afterwards.
      const link = await resumeAs(mallory);
      const ask = await get(link, jar);
      assert.equal(ask.status, 200);
      assert.equal(ask.headers.get('location'), null);
      assert.deepEqual(ask.headers.getSetCookie().filter((c) => c.startsWith('portico_session=')), []);
      const page = await ask.text();
      assert.match(page, new RegExp(`Continue as ${mallory.email.replace('.', '\\.')}\\?`));
      assert.match(page, new RegExp(alice.email.replace('.', '\\.')));
      const fields = hiddenFields(page);
      const forged = await postForm(`${server.baseUrl}/oauth2/authorize/complete`, jar, { state: fields.state!, csrf: 'x'.repeat(43), decision: 'switch' });
      assert.equal(forged.status, 403);
      const stay = await postForm(`${server.baseUrl}/oauth2/authorize/complete`, jar, { ...fields, decision: 'stay' });
      assert.equal(stay.status, 303);
      assert.equal(new URL(stay.headers.get('location')!).searchParams.get('error'), 'access_denied');
      assert.equal(sessionOf(), sessionBefore);
      assert.equal((await get(link, jar)).status, 400);
      const silent = await runAuthorization(server, { params: params({ prompt: 'none' }), user: alice, jar });
      assert.ok(silent.callback.searchParams.get('code'), 'alice is still signed in');

      // Continue: mallory's session replaces alice's, and alice's old session is gone on the server too.
      const oldSession = sessionBefore!;
      const link2 = await resumeAs(mallory);
      const ask2 = await get(link2, jar);
      const go = await postForm(`${server.baseUrl}/oauth2/authorize/complete`, jar, { ...hiddenFields(await ask2.text()), decision: 'switch' });
      assert.equal(go.status, 303);
      assert.notEqual(sessionOf(), sessionBefore);
      const probe = await fetch(authorizeUrl({ prompt: 'none' }), { redirect: 'manual', headers: { cookie: `portico_session=${oldSession}` } });
      assert.equal(new URL(probe.headers.get('location')!).searchParams.get('error'), 'login_required');

      // The same user signing in again is no switch: no question.
      const link3 = await resumeAs(mallory);
      const again = await get(link3, jar);
      assert.equal(again.status, 302);
    });

    it('issue #7: the development login works only in the browser that started the authorization, with its CSRF token', async () => {
      const jar = new CookieJar();
      const start = await get(authorizeUrl(), jar);
      const login = new URL(start.headers.get('location')!);
      assert.equal(login.pathname, '/dev/login');
      const id = login.searchParams.get('external_auth_id')!;
      // Another browser (no binding cookie) gets no page and cannot post.
      assert.equal((await fetch(login)).status, 400);
      const page = await get(login.toString(), jar);
      assert.equal(page.status, 200);
      const fields = hiddenFields(await page.text());
      assert.ok(fields.csrf);
      const noCsrf = await postForm(`${server.baseUrl}/dev/login`, jar, { external_auth_id: id, email: 'csrf@example.test' });
      assert.equal(noCsrf.status, 403);
      const otherBrowser = await postForm(`${server.baseUrl}/dev/login`, new CookieJar(), { ...fields, email: 'csrf@example.test' });
      assert.equal(otherBrowser.status, 400);
      const ok = await postForm(`${server.baseUrl}/dev/login`, jar, { ...fields, email: 'csrf@example.test' });
      assert.equal(ok.status, 303);
      assert.match(ok.headers.get('location')!, /\/oauth2\/authorize\/complete\?state=/);
    });
  });
}

describe('issue #7: a public issuer without a login page serves M2M only', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_ISSUER: 'https://auth.example.com' } });
  });
  after(async () => {
    await server.close();
  });
  it('issue #7: /oauth2/authorize says sign-in is not configured and /dev/login is not served, whatever NODE_ENV says', async () => {
    const app = (await (await fetch(`http://127.0.0.1:${server.config.port}/connect/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Public', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: REDIRECT }] }),
    })).json()) as { client_id: string };
    const res = await server.app.inject({ url: `/oauth2/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid` });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers.location, undefined);
    assert.match(res.body, /Sign-in is not configured/);
    const dev = await server.app.inject({ url: '/dev/login?external_auth_id=ext_auth_x' });
    assert.equal(dev.statusCode, 404);
    assert.match(dev.body, /loopback issuer/);
  });
});

describe('issue #7: https issuer', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_ISSUER: 'https://auth.example.com', PORTICO_DEV_LOGIN: 'on' } });
  });
  after(async () => {
    await server.close();
  });
  it('issue #7: binding and session cookies carry the __Host- prefix (Secure, Path=/, no Domain)', async () => {
    const created = await server.app.inject({
      method: 'POST',
      url: '/connect/applications',
      headers: { authorization: `Bearer ${server.apiKey}` },
      payload: { name: 'Https', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: REDIRECT }] },
    });
    const app = created.json<{ client_id: string }>();
    const start = await server.app.inject({ url: `/oauth2/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid` });
    const binding = ([] as string[]).concat(start.headers['set-cookie'] ?? []);
    assert.equal(binding.length, 1);
    assert.match(binding[0]!, /^__Host-portico_ia_[0-9A-Z]{12}=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
    const externalAuthId = new URL(String(start.headers.location)).searchParams.get('external_auth_id')!;
    const done = await server.app.inject({ method: 'POST', url: '/authkit/oauth2/complete', headers: { authorization: `Bearer ${server.apiKey}` }, payload: { external_auth_id: externalAuthId, user: { id: 'h', email: 'h@example.test' } } });
    const resume = new URL(done.json<{ redirect_uri: string }>().redirect_uri);
    const back = await server.app.inject({ url: `${resume.pathname}${resume.search}`, headers: { cookie: binding[0]!.split(';')[0]! } });
    assert.equal(back.statusCode, 302);
    const session = ([] as string[]).concat(back.headers['set-cookie'] ?? []);
    assert.match(session[0]!, /^__Host-portico_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax; Secure$/);
    // The unprefixed name is not read on an https issuer (a sibling subdomain could have planted it).
    const planted = await server.app.inject({ url: `/oauth2/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&prompt=none`, headers: { cookie: session[0]!.split(';')[0]!.replace('__Host-', '') } });
    assert.equal(new URL(String(planted.headers.location)).searchParams.get('error'), 'login_required');
  });
});
