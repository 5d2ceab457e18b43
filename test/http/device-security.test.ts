// Issue #11: security bar §6 items 35 (device flow) and 36 (token exchange cannot widen), each in a test
// named after the item, on both dialects; and the issue #7 rules for the new endpoints and pages: the
// code-entry form is bound to its browser with a CSRF token, every later step to the interaction's
// binding, __Host- cookies on https, POSTs answered 303, the page headers, confidential clients
// authenticate at the device endpoint, and device authorizations are bounded per address by their rows.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { housekeep } from '../../src/housekeeping.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { offsetClock } from '../support/oauth-deps.ts';
import { deviceSignInOverHttp, pollDevice, startDeviceOverHttp } from '../support/device-http.ts';
import { CookieJar, get, hiddenFields, postForm } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Rows of a table of the server's database, counted in the database itself (not through the storage being tested). */
async function rows(server: TestServer, table: 'device_authorizations' | 'interactions'): Promise<number> {
  const url = server.storage.url;
  if (url.startsWith('sqlite:')) {
    const db = new DatabaseSync(url.slice('sqlite:'.length), { readOnly: true });
    try {
      return Number((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

const form = (body: Record<string, string>, basic?: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic !== undefined && { authorization: `Basic ${Buffer.from(basic).toString('base64')}` }) },
  body: new URLSearchParams(body).toString(),
});

for (const dialect of DIALECTS) {
  describe(`issue #11: security bar items 35-36 and the device pages (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let clock: ReturnType<typeof offsetClock>;
    let cli: string;
    before(async () => {
      clock = offsetClock();
      server = await startServer(dialect, { clock, env: { PORTICO_USER_CODE_FAILURE_LIMIT: '3', PORTICO_RESOURCES: 'https://mcp.example.test,https://api.example.test' } });
      cli = (await json<{ client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Sec CLI', application_type: 'oauth', is_first_party: true, uses_pkce: true, scopes: ['posts:read'] } }))).client_id;
    });
    after(async () => {
      await server?.close();
    });

    it('35: device flow: polling before approval is authorization_pending, too fast slow_down, after expiry expired_token, a second redemption invalid_grant; wrong user codes are rate-limited', async () => {
      const d = await startDeviceOverHttp(server, cli);
      assert.deepEqual(await pollDevice(server, cli, d.device_code), { status: 400, body: { error: 'authorization_pending', error_description: 'The user has not finished signing in on the verification page yet.' } });
      const fast = await pollDevice(server, cli, d.device_code);
      assert.equal(fast.status, 400, 'slow_down is a 400, never a 429');
      assert.equal(fast.body.error, 'slow_down');
      clock.advance(10_000);
      assert.equal((await pollDevice(server, cli, d.device_code)).body.error, 'authorization_pending', 'a client that waits the new interval recovers');
      await deviceSignInOverHttp(server, { userCode: d.user_code, user: { id: 'sec-35', email: 'sec35@example.test' } });
      const won = await pollDevice(server, cli, d.device_code);
      assert.equal(won.status, 200);
      assert.ok(won.body.access_token && won.body.refresh_token);
      assert.deepEqual((await pollDevice(server, cli, d.device_code)).body.error, 'invalid_grant');

      const late = await startDeviceOverHttp(server, cli);
      clock.advance(301_000);
      assert.equal((await pollDevice(server, cli, late.device_code)).body.error, 'expired_token');

      // Wrong codes from one address: PORTICO_USER_CODE_FAILURE_LIMIT=3 per minute, then 429 for every code, even a right one.
      const right = await startDeviceOverHttp(server, cli);
      const jar = new CookieJar();
      const fields = hiddenFields(await (await get(`${server.baseUrl}/device`, jar)).text());
      const enter = (code: string) => postForm(`${server.baseUrl}/device`, jar, { ...fields, user_code: code });
      for (const wrong of ['BBBB-BBBB', 'CCCC-CCCC', 'not a code']) {
        const res = await enter(wrong);
        assert.equal(res.status, 400);
        assert.match(await res.text(), /not valid, or it has expired/);
      }
      const limited = await enter('DDDD-DDDD');
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal((await enter(right.user_code)).status, 429, 'past the limit nothing is looked up');
      clock.advance(61_000);
      assert.equal((await enter(right.user_code)).status, 303, 'the next minute the right code works');
    });

    it('36: token exchange cannot raise scope or audience beyond the subject token: invalid_scope / invalid_target', async () => {
      const first = await json<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Sec MCP server', application_type: 'oauth', is_first_party: true } }));
      const secret = (await json<{ secret: string }>(await api(server, `/connect/applications/${first.id}/client_secrets`, { method: 'POST', body: {} }))).secret;
      const d = await startDeviceOverHttp(server, cli, 'openid posts:read');
      await deviceSignInOverHttp(server, { userCode: d.user_code, user: { id: 'sec-36', email: 'sec36@example.test' } });
      const subject = (await pollDevice(server, cli, d.device_code)).body.access_token as string;
      const exchange = async (extra: Record<string, string>) => {
        const res = await fetch(`${server.baseUrl}/oauth2/token`, form({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', ...extra }, `${first.client_id}:${secret}`));
        return { status: res.status, error: (await json<{ error?: string }>(res)).error };
      };
      // Scope: anything the subject token does not carry.
      for (const scope of ['posts:write', 'openid posts:read offline_access', 'admin']) assert.deepEqual(await exchange({ resource: 'https://api.example.test', scope }), { status: 400, error: 'invalid_scope' });
      // Audience: a resource not registered, the environment's catch-all audience, two audiences at once.
      for (const resource of ['https://evil.example.test', server.environmentClientId, 'https://api.example.test/../admin']) assert.deepEqual(await exchange({ resource }), { status: 400, error: 'invalid_target' });
      const both = await fetch(`${server.baseUrl}/oauth2/token`, {
        ...form({}, `${first.client_id}:${secret}`),
        body: `grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=${subject}&subject_token_type=urn:ietf:params:oauth:token-type:access_token&resource=https://api.example.test&resource=https://mcp.example.test`,
      });
      assert.equal((await json<{ error: string }>(both)).error, 'invalid_target');
      assert.deepEqual(await exchange({ resource: 'https://api.example.test', audience: 'https://mcp.example.test' }), { status: 400, error: 'invalid_target' });
      // Within the subject token: allowed.
      assert.equal((await exchange({ resource: 'https://api.example.test', scope: 'posts:read' })).status, 200);
    });

    it('issue #7 rules on /device: the entry form is bound to its browser; the sign-in steps to the interaction; headers; 303', async () => {
      const d = await startDeviceOverHttp(server, cli);
      const jar = new CookieJar();
      const page = await get(`${server.baseUrl}/device?user_code=${d.user_code}`, jar);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'.*frame-ancestors 'none'/);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('cache-control'), 'no-store');
      const html = await page.text();
      assert.ok(html.includes(`value="${d.user_code}"`), 'verification_uri_complete fills the code in');
      assert.ok(!/<script/i.test(html));
      const fields = hiddenFields(html);
      // Another browser (no cookie, or its own cookie) cannot use this page's CSRF token; no CSRF at all neither.
      const stranger = new CookieJar();
      await get(`${server.baseUrl}/device`, stranger);
      for (const [who, body] of [[new CookieJar(), fields], [stranger, fields], [jar, {}]] as const) {
        const res = await postForm(`${server.baseUrl}/device`, who, { ...body, user_code: d.user_code });
        assert.equal(res.status, 403);
      }
      const entered = await postForm(`${server.baseUrl}/device`, jar, { ...fields, user_code: d.user_code });
      assert.equal(entered.status, 303);
      const login = new URL(entered.headers.get('location')!);
      assert.equal(login.pathname, '/dev/login');
      // The development login and, later, the consent page work only in the browser that entered the code.
      assert.equal((await get(login.href, stranger)).status, 400);
      const complete = await fetch(`${server.baseUrl}/authkit/oauth2/complete`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ external_auth_id: login.searchParams.get('external_auth_id'), user: { id: 'sec-b', email: 'secb@example.test' } }) });
      const resume = ((await complete.json()) as { redirect_uri: string }).redirect_uri;
      assert.equal((await get(resume, stranger)).status, 400);
      const consentUrl = new URL((await get(resume, jar)).headers.get('location')!, server.baseUrl);
      assert.equal((await get(consentUrl.href, stranger)).status, 400);
      const consent = await get(consentUrl.href, jar);
      assert.match(consent.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      const consentFields = hiddenFields(await consent.text());
      assert.equal((await postForm(`${server.baseUrl}/oauth2/authorize/consent`, jar, { ...consentFields, csrf: 'forged', decision: 'allow' })).status, 403);
      assert.equal((await postForm(`${server.baseUrl}/oauth2/authorize/consent`, stranger, { ...consentFields, decision: 'allow' })).status, 400);
      assert.equal((await pollDevice(server, cli, d.device_code)).body.error, 'authorization_pending', 'nothing was approved by the refused attempts');
      const done = await postForm(`${server.baseUrl}/oauth2/authorize/consent`, jar, { ...consentFields, decision: 'allow' });
      assert.equal(done.status, 303);
      assert.equal(new URL(done.headers.get('location')!).pathname, '/device/approved');
      // A second approval of the same interaction changes nothing.
      assert.equal((await postForm(`${server.baseUrl}/oauth2/authorize/consent`, jar, { ...consentFields, decision: 'deny' })).status, 400);
      assert.equal((await pollDevice(server, cli, d.device_code)).status, 200);
    });

    it('device authorization: a confidential client authenticates as at the token endpoint; M2M apps are unauthorized_client', async () => {
      const app = await json<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Sec TV', application_type: 'oauth', is_first_party: true } }));
      const secret = (await json<{ secret: string }>(await api(server, `/connect/applications/${app.id}/client_secrets`, { method: 'POST', body: {} }))).secret;
      const bare = await fetch(`${server.baseUrl}/oauth2/device_authorization`, form({ client_id: app.client_id, scope: 'openid' }));
      assert.deepEqual([bare.status, (await json<{ error: string }>(bare)).error], [401, 'invalid_client']);
      const wrong = await fetch(`${server.baseUrl}/oauth2/device_authorization`, form({ scope: 'openid' }, `${app.client_id}:not-the-secret`));
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
      const ok = await fetch(`${server.baseUrl}/oauth2/device_authorization`, form({ scope: 'openid' }, `${app.client_id}:${secret}`));
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      const d = await json<{ device_code: string }>(ok);
      // Polling also needs the secret: its client_id alone is not enough.
      assert.equal((await pollDevice(server, app.client_id, d.device_code)).status, 401);
      const org = await json<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'Sec M2M' } }));
      const m2m = await json<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Sec M2M', application_type: 'm2m', organization_id: org.id } }));
      const m2mSecret = (await json<{ secret: string }>(await api(server, `/connect/applications/${m2m.id}/client_secrets`, { method: 'POST', body: {} }))).secret;
      const refused = await fetch(`${server.baseUrl}/oauth2/device_authorization`, form({}, `${m2m.client_id}:${m2mSecret}`));
      assert.deepEqual([refused.status, (await json<{ error: string }>(refused)).error], [400, 'unauthorized_client']);
    });

    it('exactly one of 20 parallel polls of an approved code redeems it, across two nodes on one database', async () => {
      const second = await startServer(dialect, { shareWith: server, clock });
      try {
        for (let round = 0; round < 3; round++) {
          const d = await startDeviceOverHttp(server, cli);
          await deviceSignInOverHttp(server, { userCode: d.user_code, user: { id: `sec-race-${round}`, email: `race${round}@example.test` } });
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pollDevice(i % 2 === 0 ? server : second, cli, d.device_code)));
          assert.equal(results.filter((r) => r.status === 200).length, 1, `round ${round}`);
          assert.deepEqual([...new Set(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${String(r.body.error)}`))], ['400 invalid_grant']);
        }
      } finally {
        await second.close();
      }
    });

    it('expired device authorizations are purged by housekeeping; live ones are kept (issue #11)', async () => {
      const d = await startDeviceOverHttp(server, cli);
      clock.advance(301_000 + 3_600_000);
      const live = await startDeviceOverHttp(server, cli);
      await housekeep(server.storage, clock, server.config);
      assert.equal((await pollDevice(server, cli, d.device_code)).body.error, 'invalid_grant', 'gone: an unknown code');
      // issue #11: the purge keeps a device authorization that has not expired: it is still pending, and can be approved and redeemed.
      assert.equal((await pollDevice(server, cli, live.device_code)).body.error, 'authorization_pending', 'kept: still pending');
      await deviceSignInOverHttp(server, { userCode: live.user_code, user: { id: 'sec-purge-live', email: 'purgelive@example.test' } });
      clock.advance(10_000);
      const won = await pollDevice(server, cli, live.device_code);
      assert.equal(won.status, 200);
    });
  });
}

describe('issue #11: device limits and https cookies', () => {
  let server: TestServer;
  let https: TestServer;
  before(async () => {
    [server, https] = await Promise.all([startServer('sqlite', { env: { PORTICO_AUTHORIZE_RATE_LIMIT: '2' } }), startServer('sqlite', { env: { PORTICO_ISSUER: 'https://auth.example.com', PORTICO_DEV_LOGIN: 'on' } })]);
  });
  after(async () => {
    await server?.close();
    await https?.close();
  });

  it('issue #7: device authorizations from one address are bounded per minute (429 slow_down, Retry-After; no row written)', async () => {
    const cli = (await json<{ client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Limited CLI', application_type: 'oauth', is_first_party: true, uses_pkce: true } }))).client_id;
    const start = () => fetch(`${server.baseUrl}/oauth2/device_authorization`, form({ client_id: cli, scope: 'openid' }));
    const rowsBefore = await rows(server, 'device_authorizations');
    assert.deepEqual([(await start()).status, (await start()).status], [200, 200]);
    // issue #7: each answered start is one row; the refused ones below add none.
    assert.equal(await rows(server, 'device_authorizations'), rowsBefore + 2);
    const third = await start();
    assert.equal(third.status, 429);
    assert.equal(third.headers.get('retry-after'), '60');
    assert.equal((await json<{ error: string }>(third)).error, 'slow_down');
    const twin = await fetch(`${server.baseUrl}/user_management/authorize/device`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: cli }) });
    assert.equal(twin.status, 429, 'the WorkOS twin counts the same rows');
    assert.equal(await rows(server, 'device_authorizations'), rowsBefore + 2, 'no row written by a refused start');
  });

  it('with no login at all (no PORTICO_LOGIN_URL, development login off) device sign-in is off: 403 access_denied before anything is stored', async () => {
    const m2mOnly = await startServer('sqlite', { env: { PORTICO_DEV_LOGIN: 'off' } });
    try {
      const cli = (await json<{ client_id: string }>(await api(m2mOnly, '/connect/applications', { method: 'POST', body: { name: 'Off CLI', application_type: 'oauth', is_first_party: true, uses_pkce: true } }))).client_id;
      const stored = async () => [await rows(m2mOnly, 'device_authorizations'), await rows(m2mOnly, 'interactions')];
      // issue #11: a fresh server: nothing stored before, and nothing after the refusals.
      assert.deepEqual(await stored(), [0, 0]);
      for (const [path, init] of [
        ['/oauth2/device_authorization', form({ client_id: cli })],
        ['/user_management/authorize/device', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: cli }) }],
      ] as const) {
        const res = await fetch(`${m2mOnly.baseUrl}${path}`, init);
        assert.deepEqual([res.status, (await json<{ error: string }>(res)).error], [403, 'access_denied'], path);
        assert.deepEqual(await stored(), [0, 0], `${path}: nothing stored`);
      }
      assert.equal((await fetch(`${m2mOnly.baseUrl}/device`)).status, 503);
    } finally {
      await m2mOnly.close();
    }
  });

  it('issue #7: the device page cookie carries __Host- on an https issuer', async () => {
    const res = await https.app.inject({ url: '/device' });
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    assert.equal(cookies.length, 1);
    assert.match(cookies[0]!, /^__Host-portico_device=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
  });
});
