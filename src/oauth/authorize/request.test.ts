// Issue #9: every check of GET /oauth2/authorize in process, in the order RFC 6749 §4.1.2.1 requires:
// client and redirect URI first (an error page, never a redirect), everything else an error redirect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Application } from '../../domain/application.ts';
import { parseQuery } from '../../http/request-errors.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
import { validateAuthorizeRequest } from './request.ts';

const CB = 'https://app.example.test/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('issue #9: validateAuthorizeRequest', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  let pub: Application;
  let two: Application;
  let m2m: Application;
  before(async () => {
    env = await inProcessDeps({ PORTICO_RESOURCES: 'https://api.example.test' });
    pub = await storeApplication(env.deps, { type: 'oauth', usesPkce: true, isFirstParty: true, redirectUris: [{ uri: CB, default: true }], scopes: ['read'] });
    two = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, redirectUris: [{ uri: CB, default: true }, { uri: 'http://127.0.0.1/cb', default: false }] });
    m2m = await storeApplication(env.deps);
  });
  after(async () => {
    await env.close();
  });

  const base = () => `client_id=${pub.clientId}&redirect_uri=${encodeURIComponent(CB)}&response_type=code&scope=openid&state=s&code_challenge=${CHALLENGE}&code_challenge_method=S256`;
  const validate = (query: string) => validateAuthorizeRequest(env.deps, parseQuery(query) as Record<string, string | string[] | undefined>, { ip: '192.0.2.1', userAgent: null, requestId: 'req_unit' });
  const pageFor = async (query: string, title: RegExp) => {
    const v = await validate(query);
    assert.equal(v.kind, 'page', JSON.stringify(v));
    if (v.kind === 'page') assert.match(v.title, title);
  };
  const errorFor = async (query: string, error: string, description?: RegExp) => {
    const v = await validate(query);
    assert.equal(v.kind, 'redirect', JSON.stringify(v));
    if (v.kind !== 'redirect') return;
    assert.equal(v.error, error);
    if (description) assert.match(v.description, description);
    return v;
  };

  it('client checks: missing, repeated, unknown, an M2M app -> an error page', async () => {
    await pageFor('response_type=code', /Invalid request/);
    await pageFor(`client_id=${pub.clientId}&client_id=${pub.clientId}`, /Invalid request/);
    await pageFor('client_id=client_NOSUCH', /Unknown application/);
    await pageFor(`client_id=${m2m.clientId}`, /Not allowed/);
    await pageFor(`client_id=%FF${pub.clientId}`, /Invalid request/);
  });

  it('redirect URI checks: exact match (loopback any port), repeated, missing with several registered -> an error page', async () => {
    await pageFor(`client_id=${pub.clientId}&redirect_uri=${encodeURIComponent(`${CB}/`)}`, /Invalid redirect URI/);
    await pageFor(`client_id=${pub.clientId}&redirect_uri=${encodeURIComponent(CB)}&redirect_uri=${encodeURIComponent(CB)}`, /Invalid redirect URI/);
    await pageFor(`client_id=${two.clientId}&response_type=code`, /Invalid redirect URI/);
    const loopback = await validate(`client_id=${two.clientId}&redirect_uri=${encodeURIComponent('http://127.0.0.1:53121/cb')}&response_type=code&scope=openid`);
    assert.equal(loopback.kind, 'ok');
    const omitted = await validate(`client_id=${pub.clientId}&response_type=code&scope=openid&code_challenge=${CHALLENGE}&code_challenge_method=S256`);
    assert.ok(omitted.kind === 'ok' && omitted.request.redirectUri === CB && !omitted.request.redirectUriGiven);
  });

  it('after the redirect URI: each problem is its error redirect, with state echoed', async () => {
    const v = await errorFor(`${base()}&response_type=code`, 'invalid_request', /response_type parameter is repeated/);
    assert.equal(v?.state, 's');
    await errorFor(`${base()}&state=${'x'.repeat(2049)}`, 'invalid_request');
    await errorFor(`${base()}&request=x`, 'request_not_supported');
    await errorFor(`${base()}&request_uri=x`, 'request_uri_not_supported');
    await errorFor(base().replace('response_type=code', 'response_type=token'), 'unsupported_response_type');
    await errorFor(base().replace('&response_type=code', ''), 'invalid_request', /response_type is required/);
    await errorFor(`${base()}&response_mode=fragment`, 'invalid_request');
    await errorFor(base().replace('scope=openid', 'scope=admin'), 'invalid_scope');
    await errorFor(base().replace('&scope=openid', ''), 'invalid_scope');
    await errorFor(base().replace(`&code_challenge=${CHALLENGE}&code_challenge_method=S256`, ''), 'invalid_request', /must use PKCE/);
    await errorFor(base().replace('code_challenge_method=S256', 'code_challenge_method=plain'), 'invalid_request', /S256/);
    await errorFor(base().replace(CHALLENGE, 'short'), 'invalid_request');
    await errorFor(`${base()}&resource=https://other.example.test`, 'invalid_target');
    await errorFor(`${base()}&resource=https://api.example.test&resource=https://api.example.test`, 'invalid_target');
    await errorFor(`${base()}&prompt=none%20login`, 'invalid_request');
    await errorFor(`${base()}&prompt=create`, 'invalid_request');
    await errorFor(`${base()}&nonce=${'n'.repeat(513)}`, 'invalid_request');
    await errorFor(`${base()}&nonce=a%09b`, 'invalid_request');
    await errorFor(`${base()}&max_age=-1`, 'invalid_request');
    await errorFor(`${base()}&login_hint=a%00b`, 'invalid_request');
    await errorFor(`${base()}&id_token_hint=eyJ.not.a.token`, 'invalid_request');
    const broken = await errorFor(base().replace('state=s', 'state=%FF'), 'invalid_request', /state parameter is not valid UTF-8/);
    assert.equal(broken?.state, null);
  });

  it('a valid request: every field as the flow needs it; empty parameters count as absent (RFC 6749 §3.1)', async () => {
    const v = await validate(`${base()}&resource=https://api.example.test&prompt=consent&nonce=n1&max_age=60&login_hint=ada%40example.test&unknown=%FF&empty=`);
    assert.equal(v.kind, 'ok');
    if (v.kind !== 'ok') return;
    assert.deepEqual(v.request, {
      clientId: pub.clientId,
      redirectUri: CB,
      redirectUriGiven: true,
      scopes: ['openid'],
      state: 's',
      nonce: 'n1',
      codeChallenge: CHALLENGE,
      resource: 'https://api.example.test',
      prompt: ['consent'],
      maxAge: 60,
      loginHint: 'ada@example.test',
      hintedUserId: null,
      deviceAuthorizationId: null,
    });
  });
});
