// Issue #11: property-based fuzzing (fast-check) of the new endpoints and pages, over real HTTP to a real
// server on both dialects: /oauth2/device_authorization, the device_code and token-exchange grants at
// /oauth2/token, the WorkOS twins, /device and the consent step. Every request has a 5 s deadline (a hang
// fails the run) and no answer may be a 5xx. Oracles: a device code that was never approved never yields
// a token (and the approved one yields one, at most once, to its own client only); an exchanged token
// never widens scope or audience and names its actor; the fuzzed pages never approve or deny anything.
// Generated values are plain data with `@@name@@` placeholders for the seeded world, so they shrink readably.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { tokenDigest } from '../../src/oauth/tokens/issue.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { deviceSignInOverHttp, pollDevice, startDeviceOverHttp } from '../support/device-http.ts';
import { CookieJar, get, hiddenFields, postForm } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** Runs per property; PORTICO_FUZZ_RUNS overrides it. */
const RUNS = Number(process.env.PORTICO_FUZZ_RUNS ?? 150);
const TIMEOUT = 5_000;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const RESOURCES = ['https://api.example.test', 'https://mcp.example.test'];

interface World {
  readonly values: Record<string, string>;
  /** The approved device code: at most one token, to `cli`, ever. */
  approvedWins: number;
}

const PLACEHOLDERS = ['cli', 'tv', 'tvsecret', 'm2m', 'm2msecret', 'mcp', 'mcpsecret', 'pending', 'denied', 'approved', 'pendingUser', 'userToken', 'm2mToken', 'resource', 'grant', 'exchange', 'at'] as const;

/** Text with placeholders, a near miss of one (case, suffix, one character), or junk. */
const value = fc.oneof(
  fc.constantFrom(...PLACEHOLDERS).map((p) => `@@${p}@@`),
  fc.tuple(fc.constantFrom(...PLACEHOLDERS), fc.constantFrom('upper', 'lower', 'suffix', 'chop', 'space')).map(([p, how]) => `@@${p}@@~${how}`),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '%', '\u0000', 'a'.repeat(300), 'openid', 'openid posts:read', 'posts:write admin', 'BCDF-GHJK', 'bcdfghjk'),
);

function resolve(world: World, text: string): string {
  return text.replace(/@@(\w+)@@(?:~(\w+))?/g, (_m, name: string, how: string | undefined) => {
    const v = world.values[name] ?? name;
    switch (how) {
      case 'upper':
        return v.toUpperCase();
      case 'lower':
        return v.toLowerCase();
      case 'suffix':
        return `${v}x`;
      case 'chop':
        return v.slice(0, -1);
      case 'space':
        return ` ${v} `;
      default:
        return v;
    }
  });
}

const NAMES = ['grant_type', 'client_id', 'client_secret', 'device_code', 'scope', 'resource', 'audience', 'subject_token', 'subject_token_type', 'requested_token_type', 'actor_token', 'user_code', 'csrf', 'interaction', 'decision'];
const pairs = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })), value), { maxLength: 8 });

/** A form body: the generated pairs, each value resolved and percent-encoded. */
function encodeForm(world: World, list: readonly (readonly [string, string])[]): string {
  return list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(resolve(world, v))}`).join('&');
}

async function send(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT) });
  assert.ok(res.status < 500, `${init.method ?? 'GET'} ${url} -> ${res.status}: ${(await res.clone().text()).slice(0, 300)}`);
  return res;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** What a token request said, for the oracles: its grant, its client, its device code or subject token. */
interface Sent {
  readonly grant: string | undefined;
  readonly client: string | null;
  readonly deviceCode: string | null;
  readonly subjectToken: string | null;
}

/** The token oracles: which 200s may exist at all, and what they must carry. */
function checkToken(world: World, sent: Sent, body: Record<string, unknown>): void {
  if (sent.grant === DEVICE_GRANT) {
    assert.equal(sent.deviceCode, world.values.approved, 'a token only for the approved device code');
    assert.equal(sent.client, world.values.cli, 'and only to its own client');
    world.approvedWins++;
    assert.ok(world.approvedWins <= 1, 'at most once');
  } else if (sent.grant === EXCHANGE_GRANT) {
    const issued = claimsOf(body.access_token as string);
    const subject = claimsOf(sent.subjectToken!);
    assert.ok(RESOURCES.includes(issued.aud as string), `aud ${String(issued.aud)} is a configured resource`);
    const granted = new Set(String(subject.scope).split(' '));
    assert.ok(String(issued.scope).split(' ').every((x) => granted.has(x)), 'scope never widens');
    assert.equal((issued.act as { sub: string }).sub, sent.client);
    assert.ok((issued.exp as number) <= (subject.exp as number));
  } else {
    assert.fail(`an unexpected token for grant_type ${String(sent.grant)}`);
  }
}

/** The request a form body (and Basic user) made. */
function sentForm(body: string, basicUser: string | null): Sent {
  const f = new URLSearchParams(body);
  return { grant: f.getAll('grant_type')[0], client: basicUser ?? f.get('client_id'), deviceCode: f.get('device_code'), subjectToken: f.get('subject_token') };
}

for (const dialect of DIALECTS) {
  describe(`issue #11: fuzzing the device and token-exchange endpoints and pages (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let world: World;

    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_RESOURCES: RESOURCES.join(','), PORTICO_USER_CODE_FAILURE_LIMIT: '999999', PORTICO_AUTH_FAILURE_LIMIT: '999999' } });
      const app = async (body: Record<string, unknown>, secret = false) => {
        const a = (await (await api(server, '/connect/applications', { method: 'POST', body })).json()) as { id: string; client_id: string };
        const s = secret ? ((await (await api(server, `/connect/applications/${a.id}/client_secrets`, { method: 'POST', body: {} })).json()) as { secret: string }).secret : '';
        return { clientId: a.client_id, secret: s };
      };
      const org = ((await (await api(server, '/organizations', { method: 'POST', body: { name: 'Fuzz' } })).json()) as { id: string }).id;
      const cli = await app({ name: 'Fuzz CLI', application_type: 'oauth', is_first_party: true, uses_pkce: true, scopes: ['posts:read'] });
      const tv = await app({ name: 'Fuzz TV', application_type: 'oauth', is_first_party: true }, true);
      const m2m = await app({ name: 'Fuzz M2M', application_type: 'm2m', organization_id: org, scopes: ['posts:read'] }, true);
      const mcp = await app({ name: 'Fuzz MCP', application_type: 'oauth', is_first_party: true }, true);
      const pending = await startDeviceOverHttp(server, cli.clientId, 'openid posts:read');
      const denied = await startDeviceOverHttp(server, cli.clientId);
      await deviceSignInOverHttp(server, { userCode: denied.user_code, user: { id: 'fuzz-denier', email: 'denier@example.test' }, decision: 'deny' });
      const approved = await startDeviceOverHttp(server, cli.clientId, 'openid offline_access posts:read');
      await deviceSignInOverHttp(server, { userCode: approved.user_code, user: { id: 'fuzz-approver', email: 'approver@example.test' } });
      const signedIn = await startDeviceOverHttp(server, cli.clientId, 'openid posts:read');
      await deviceSignInOverHttp(server, { userCode: signedIn.user_code, user: { id: 'fuzz-user', email: 'user@example.test' } });
      const userToken = (await pollDevice(server, cli.clientId, signedIn.device_code)).body.access_token as string;
      const m2mToken = ((await (await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${m2m.clientId}:${m2m.secret}`).toString('base64')}` }, body: 'grant_type=client_credentials' })).json()) as { access_token: string }).access_token;
      world = {
        approvedWins: 0,
        values: {
          cli: cli.clientId, tv: tv.clientId, tvsecret: tv.secret, m2m: m2m.clientId, m2msecret: m2m.secret, mcp: mcp.clientId, mcpsecret: mcp.secret,
          pending: pending.device_code, denied: denied.device_code, approved: approved.device_code, pendingUser: pending.user_code,
          userToken, m2mToken, resource: RESOURCES[0]!, grant: DEVICE_GRANT, exchange: EXCHANGE_GRANT, at: AT,
        },
      };
    });
    after(async () => {
      await server?.close();
    });

    /** Basic credentials: mostly a seeded client's (so requests get past authentication), else two generated values, or none. */
    const auth = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<[string, string]>(['@@mcp@@', '@@mcpsecret@@'], ['@@tv@@', '@@tvsecret@@'], ['@@m2m@@', '@@m2msecret@@'], ['@@mcp@@', '@@tvsecret@@']) },
      { weight: 1, arbitrary: fc.tuple(value, value) },
      { weight: 2, arbitrary: fc.constant(null) },
    );
    /** The parameters a grant reads, each present or not, with generated values; then random extras. */
    const grantParams = fc
      .tuple(
        ...(['client_id', 'device_code', 'subject_token', 'resource', 'scope', 'audience'] as const).map((name) =>
          fc.option(fc.oneof(value, fc.constantFrom('@@cli@@', '@@pending@@', '@@approved@@', '@@denied@@', '@@userToken@@', '@@m2mToken@@', '@@resource@@', 'https://mcp.example.test', 'openid', 'posts:read')).map((v) => [name, v] as [string, string]), { nil: null }),
        ),
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })), value), { maxLength: 2 }),
      )
      .map(([...all]) => {
        const extras = all.pop() as [string, string][];
        return [...(all as ([string, string] | null)[]).filter((p): p is [string, string] => p !== null), ...extras];
      });
    const basicHeader = (a: readonly [string, string] | null) => (a === null ? null : `${encodeURIComponent(resolve(world, a[0]))}:${encodeURIComponent(resolve(world, a[1]))}`);

    it('the token endpoint (device_code and token-exchange grants): no 5xx, no hang, no token for an unapproved device code, no widened exchange', async (t) => {
      const grantType = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('@@grant@@', '@@exchange@@') }, { weight: 1, arbitrary: fc.constantFrom('@@grant@@~suffix', '@@exchange@@~upper') });
      const grantPairs = fc.tuple(grantType, grantParams, fc.boolean());
      type Example = [[string, [string, string][], boolean], [string, string] | null];
      const device = (code: string, client = '@@cli@@'): Example => [['@@grant@@', [['device_code', code], ['client_id', client]], false], null];
      const exchange = (extra: [string, string][], who: [string, string] = ['@@mcp@@', '@@mcpsecret@@']): Example => [['@@exchange@@', [['subject_token', '@@userToken@@'], ...extra], true], who];
      // Successes and near misses the random runs would rarely find: the oracles must see them.
      const examples: Example[] = [
        device('@@approved@@~upper'), device('@@approved@@', '@@tv@@'), [['@@grant@@', [['device_code', '@@approved@@']], false], ['@@tv@@', '@@tvsecret@@']],
        device('@@approved@@'), device('@@approved@@'), device('@@pending@@'), device('@@denied@@'), device('@@pending@@~chop'),
        exchange([['resource', '@@resource@@']]), exchange([['resource', '@@resource@@'], ['scope', 'posts:read']]), exchange([['resource', '@@resource@@'], ['scope', 'openid posts:read offline_access']]),
        exchange([['resource', 'https://evil.example.test']]), exchange([['resource', '@@resource@@']], ['@@tv@@', '@@tvsecret@@']), exchange([['resource', '@@resource@@']], ['@@m2m@@', '@@m2msecret@@']),
        [['@@exchange@@', [['subject_token', '@@m2mToken@@'], ['resource', '@@resource@@']], true], ['@@mcp@@', '@@mcpsecret@@']],
      ];
      const statuses = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(grantPairs, auth, async ([grant, list, withTokenType], a) => {
          const all = [['grant_type', grant] as const, ...list, ...(withTokenType ? [['subject_token_type', '@@at@@'] as const] : [])];
          const body = encodeForm(world, all);
          const basic = basicHeader(a);
          const res = await send(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic && { authorization: `Basic ${Buffer.from(basic).toString('base64')}` }) }, body });
          const json = (await res.json()) as Record<string, unknown>;
          const key = `${res.status} ${String(json.error ?? 'token')}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (res.status === 200) checkToken(world, sentForm(body, a === null ? null : resolve(world, a[0])), json);
          else assert.equal(typeof json.error, 'string');
        }),
        { numRuns: RUNS, examples },
      );
      t.diagnostic(`answers: ${[...statuses].map(([k, v]) => `${k} x${v}`).join(', ')}`);
      assert.equal(world.approvedWins, 1, 'the approved code was redeemed exactly once');
      assert.ok((statuses.get('200 token') ?? 0) >= 3, 'the exchange examples got their tokens');
      // The seeded codes are exactly as they were: the pending one pending, the denied one denied.
      assert.equal((await pollDevice(server, world.values.cli!, world.values.denied!)).body.error, 'access_denied');
      assert.ok(['authorization_pending', 'slow_down'].includes((await pollDevice(server, world.values.cli!, world.values.pending!)).body.error as string));
    });

    it('/oauth2/device_authorization and the WorkOS twins: no 5xx, no hang, well-formed answers', async () => {
      const target = fc.constantFrom('/oauth2/device_authorization', '/user_management/authorize/device', '/user_management/authenticate');
      const encoding = fc.constantFrom('form', 'json', 'raw');
      await fc.assert(
        fc.asyncProperty(target, encoding, pairs, auth, fc.string({ maxLength: 60 }), async (path, enc, list, a, raw) => {
          const basic = basicHeader(a);
          const headers: Record<string, string> = basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {};
          let body: string;
          if (enc === 'form') {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            body = encodeForm(world, list);
          } else if (enc === 'json') {
            headers['content-type'] = 'application/json';
            body = JSON.stringify(Object.fromEntries(list.map(([k, v]) => [k, resolve(world, v)])));
          } else {
            headers['content-type'] = raw.length % 2 === 0 ? 'application/json' : 'text/plain';
            body = raw;
          }
          const res = await send(`${server.baseUrl}${path}`, { method: 'POST', headers, body });
          const json = (await res.json()) as Record<string, unknown>;
          if (res.status === 200) {
            if (path === '/user_management/authenticate') {
              const sent = enc === 'form' ? {} : (JSON.parse(body) as Record<string, string>);
              checkToken(world, { grant: sent.grant_type, client: sent.client_id ?? null, deviceCode: sent.device_code ?? null, subjectToken: null }, json);
            } else assert.match(String(json.user_code), /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
          } else {
            assert.equal(typeof json.error, 'string');
          }
        }),
        { numRuns: RUNS },
      );
    });

    it('/device and the consent step: no 5xx, no hang, always an HTML page or a redirect; nothing gets approved or denied', async (t) => {
      const pages = new Map<number, number>();
      const step = fc.record({
        prime: fc.boolean(),
        keepCsrf: fc.boolean(),
        code: fc.oneof(value, fc.constantFrom('@@pendingUser@@', '@@pendingUser@@~lower', '@@pendingUser@@~space')),
        extra: pairs,
        consent: fc.option(fc.tuple(fc.constantFrom('allow', 'deny', ''), value), { nil: null }),
        query: fc.string({ maxLength: 30 }),
      });
      await fc.assert(
        fc.asyncProperty(step, async (s) => {
          const jar = new CookieJar();
          let fields: Record<string, string> = {};
          if (s.prime) {
            const page = await send(`${server.baseUrl}/device?user_code=${encodeURIComponent(s.query)}`, { headers: { cookie: jar.header() } });
            jar.store(page);
            assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
            fields = hiddenFields(await page.text());
          }
          const form = { ...(s.keepCsrf ? fields : {}), ...Object.fromEntries(s.extra.map(([k, v]) => [k, resolve(world, v)])), user_code: resolve(world, s.code) };
          const entered = await postForm(`${server.baseUrl}/device`, jar, form);
          assert.ok(entered.status < 500 && [303, 400, 403, 429].includes(entered.status), `POST /device -> ${entered.status}`);
          pages.set(entered.status, (pages.get(entered.status) ?? 0) + 1);
          if (entered.status !== 303) assert.match(entered.headers.get('content-type') ?? '', /^text\/html/);
          // A consent POST forged around whatever interaction this produced: never accepted without its own page.
          if (s.consent !== null) {
            const interaction = new URL(entered.headers.get('location') ?? `${server.baseUrl}/`, server.baseUrl).searchParams.get('external_auth_id') ?? resolve(world, s.consent[1]);
            const res = await postForm(`${server.baseUrl}/oauth2/authorize/consent`, jar, { interaction, csrf: resolve(world, s.consent[1]), decision: s.consent[0] });
            assert.ok([400, 403].includes(res.status), `forged consent -> ${res.status}`);
          }
        }),
        { numRuns: RUNS },
      );
      t.diagnostic(`POST /device answers: ${[...pages].map(([k, v]) => `${k} x${v}`).join(', ')}`);
      assert.ok((pages.get(303) ?? 0) > 0 && (pages.get(403) ?? 0) > 0 && (pages.get(400) ?? 0) > 0, 'codes accepted, forms refused, codes wrong: all reached');
      const row = await server.storage.deviceAuthorizations.findByDigest(tokenDigest(server, world.values.pending!));
      assert.equal(row?.status, 'pending', 'the fuzzed pages approved and denied nothing');
      assert.equal((await pollDevice(server, world.values.cli!, world.values.denied!)).body.error, 'access_denied');
      // And the pending code still works for a real person.
      const jar = new CookieJar();
      const page = await get(`${server.baseUrl}/device`, jar);
      assert.equal((await postForm(`${server.baseUrl}/device`, jar, { ...hiddenFields(await page.text()), user_code: world.values.pendingUser! })).status, 303);
    });
  });
}
