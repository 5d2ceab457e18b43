// Issue #10: property-based fuzzing of dynamic client registration (RFC 7591/7592): no 5xx, no hang,
// only documented answers (201 with a sane client, or 400 invalid_redirect_uri / invalid_client_metadata,
// 401 for RFC 7592 without its token), and a 201 only for metadata the rules accept.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import secureJsonParse from 'secure-json-parse';
import { after, before, describe, it } from 'node:test';
import { parseClientMetadata } from '../../src/domain/client-metadata.ts';
import { OAuthError } from '../../src/domain/errors.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { unicode } from './support/arbitraries.ts';
import { fuzzRuns } from './support/config.ts';
import { assertHealthy, describeRequest, jsonOf, sendGenerated, tally } from './support/harness.ts';
import { fuzzProperty } from './support/suite.ts';

const RUNS = fuzzRuns(300);
const SCOPES = ['notes:read'];

const uri = fc.oneof(
  fc.constantFrom('https://app.example.test/cb', 'http://127.0.0.1:33418/', 'http://localhost/callback', 'cursor://anysphere.cursor-retrieval/cb', 'com.example.app:/oauth', 'https://claude.ai/api/mcp/auth_callback'),
  fc.constantFrom('http://evil.com/cb', 'javascript:alert(1)', 'data:text/html,x', 'https://a.test/#f', '/relative', '', 'https://a.test/\u0000', 'https://a.test/ b', 'file:///etc/passwd'),
  unicode(30),
);
const field = {
  client_name: fc.oneof(fc.constantFrom('Notes', 'VS Code', ''), unicode(40), fc.integer(), fc.constant(null)),
  redirect_uris: fc.oneof(fc.array(uri, { maxLength: 4 }), fc.constant([]), uri, fc.array(fc.integer(), { maxLength: 2 }), fc.constant(null)),
  token_endpoint_auth_method: fc.constantFrom('none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt', 'client_secret_jwt', '', 7),
  grant_types: fc.oneof(fc.subarray(['authorization_code', 'refresh_token', 'implicit', 'client_credentials', 'password']), fc.constant('authorization_code')),
  response_types: fc.oneof(fc.subarray(['code', 'token', 'id_token']), fc.constant('code')),
  scope: fc.oneof(fc.constantFrom('openid notes:read', 'admin', 'openid  offline_access', ''), unicode(20)),
  client_uri: fc.oneof(fc.constantFrom('https://a.test', 'http://a.test', 'javascript:x'), unicode(20)),
  logo_uri: fc.constantFrom('https://a.test/logo.png', 'http://a.test/logo.png', 'data:image/png;base64,AA'),
  contacts: fc.oneof(fc.array(fc.emailAddress(), { maxLength: 3 }), fc.array(fc.integer(), { maxLength: 2 }), fc.constant('a@b.test')),
  application_type: fc.constantFrom('web', 'native', 'service'),
  client_id: fc.constantFrom('client_CHOSEN', 'https://attacker.test/meta'),
  client_secret: fc.constantFrom('chosen-secret'),
  jwks_uri: fc.constantFrom('https://a.test/jwks', 'http://169.254.169.254/'),
  software_id: unicode(20),
};
const body = fc.record(field, { requiredKeys: [] });
const goodUri = fc.constantFrom('https://app.example.test/cb', 'http://127.0.0.1:33418/', 'cursor://anysphere.cursor-retrieval/cb', 'https://claude.ai/api/mcp/auth_callback');
/** Mostly acceptable metadata with a few fields drawn from the hostile ones: the 201 path gets exercised too. */
const nearlyValid = fc
  .tuple(fc.record({ client_name: fc.constantFrom('Notes', 'VS Code'), redirect_uris: fc.array(goodUri, { minLength: 1, maxLength: 3 }).map((u) => [...new Set(u)]) }), fc.record(field, { requiredKeys: [] }), fc.subarray(Object.keys(field), { maxLength: 2 }))
  .map(([base, extra, keys]) => ({ ...base, ...Object.fromEntries(keys.map((k) => [k, (extra as Record<string, unknown>)[k]]).filter(([, v]) => v !== undefined)) }));
const raw = fc.oneof({ weight: 4, arbitrary: nearlyValid.map((b) => JSON.stringify(b)) }, { weight: 2, arbitrary: body.map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{', '"x"', '{"redirect_uris":{}}', '{"__proto__":{"a":1}}', '{"client_name":"a\\ud800"}') }, { weight: 1, arbitrary: unicode(60) });

/** The answer the rules call for, from the body alone: the same parser the server uses. */
function expected(text: string): 'created' | 'invalid_redirect_uri' | 'invalid_client_metadata' {
  let doc: unknown;
  try {
    // As the server's JSON reader does: no `__proto__` / `constructor.prototype` keys (prototype poisoning).
    doc = secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return 'invalid_client_metadata';
  }
  // Strings that are not well-formed Unicode are refused by the JSON reader itself (issue #8), before any rule.
  if (!JSON.stringify(doc).isWellFormed() || /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(text)) return 'invalid_client_metadata';
  try {
    parseClientMetadata(doc, { source: 'dcr', authMethods: ['none', 'client_secret_post', 'client_secret_basic'], allowedScopes: SCOPES });
    return 'created';
  } catch (err) {
    if (err instanceof OAuthError && (err.error === 'invalid_redirect_uri' || err.error === 'invalid_client_metadata')) return err.error;
    throw err;
  }
}

for (const dialect of DIALECTS) {
  describe(`dynamic registration fuzzing (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    const statuses = new Map<number, number>();
    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on', PORTICO_DYNAMIC_CLIENT_SCOPES: SCOPES.join(' '), PORTICO_REGISTRATION_RATE_LIMIT: '100000' } });
    });
    after(async () => {
      await server.close();
    });

    fuzzProperty({
      name: 'issue #10: POST /oauth2/register: no 5xx, no hang, 201 exactly when the rules accept the metadata, else the RFC 7591 error; never a null field',
      arbitrary: fc.tuple(raw, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain')) as fc.Arbitrary<[string, string]>,
      examples: [['{"client_name":"x","redirect_uris":["https://a.test/cb"]}', 'application/json'], ['x'.repeat(70_000), 'application/json']] as [string, string][],
      runs: RUNS,
      reset: () => statuses.clear(),
      diagnostics: () => [`statuses: ${tally(statuses)}`],
      check: async ([text, type]) => {
        const bytes = new TextEncoder().encode(text);
        const what = describeRequest('POST', '/oauth2/register', { 'content-type': type }, bytes, { url: 200, header: 100, body: 400 });
        const r = await sendGenerated(statuses, 'POST', `${server.baseUrl}/oauth2/register`, { 'content-type': type }, bytes, what);
        assert.ok(r.status < 500, `a 5xx: ${r.status}\n${what}`);
        const answer = jsonOf(r.bytes, () => assert.fail(`not JSON\n${what}`)) as Record<string, unknown>;
        const want = type === 'text/plain' || bytes.length > 64 * 1024 ? 'invalid_client_metadata' : expected(text);
        if (want === 'created') {
          assert.equal(r.status, 201, `${JSON.stringify(answer)}\n${what}`);
          assert.ok(Object.values(answer).every((v) => v !== null), `a null field\n${what}`);
          assert.notEqual(answer.client_id, 'client_CHOSEN');
          assert.equal(typeof answer.registration_access_token, 'string');
        } else {
          assert.deepEqual([r.status, answer.error], [400, want], `${JSON.stringify(answer)}\n${what}`);
        }
      },
    });

    fuzzProperty({
      name: 'issue #10: RFC 7592 /oauth2/register/:client_id with random IDs and tokens: 401, never a 5xx or someone else\'s client',
      arbitrary: fc.tuple(fc.oneof(unicode(30), fc.constantFrom('client_X', '..', '%00')), fc.oneof(fc.constant(''), fc.string({ maxLength: 60 })), fc.constantFrom('GET', 'PUT', 'DELETE')) as fc.Arbitrary<[string, string, string]>,
      examples: [] as [string, string, string][],
      runs: RUNS,
      reset: () => statuses.clear(),
      diagnostics: () => [`statuses: ${tally(statuses)}`],
      check: async ([id, token, method]) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(token !== '' && /^[\x21-\x7e]+$/.test(token) && { authorization: `Bearer ${token}` }) };
        const url = `${server.baseUrl}/oauth2/register/${encodeURIComponent(id.toWellFormed())}`;
        const body = method === 'PUT' ? new TextEncoder().encode('{"client_name":"x","redirect_uris":["https://a.test/cb"]}') : null;
        const r = await sendGenerated(statuses, method, url, headers, body, describeRequest(method, url, headers, body, { url: 200, header: 100, body: 200 }));
        // 405: an empty ID is the registration endpoint itself (a trailing slash is the same path), which only takes POST.
        assert.ok([401, 404, 405].includes(r.status), `status ${r.status} for ${method} ${url}`);
      },
    });

    it('the server is still healthy afterwards', async () => {
      await assertHealthy(server.baseUrl);
    });
  });
}
