// Issue #11: the token-exchange grant module (RFC 8693) in process: act and nested act, the expiry bound
// by the subject token, scope only narrows, the target must be a configured resource, who may exchange
// what, and revocation that follows the exchange chain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Application } from '../../domain/application.ts';
import { OAuthError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { decideDevice, startDevice } from '../../../test/support/device-fixtures.ts';
import { claimsOf, grantInput } from '../../../test/support/grant-fixtures.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
import { mintM2MAccessToken } from '../tokens/issue.ts';
import { liveAccessToken } from '../tokens/live.ts';
import { deviceCode } from './device-code.ts';
import { tokenExchange } from './token-exchange.ts';

const API = 'https://api.example.test';
const MCP = 'https://mcp.example.test';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const is = (code: string) => (err: unknown) => err instanceof OAuthError && err.error === code && err.status === 400;

describe('issue #11: grant module token-exchange', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  let mcpServer: Application;
  let cli: Application;
  before(async () => {
    env = await inProcessDeps({ PORTICO_RESOURCES: `${API},${MCP}` });
    mcpServer = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, name: 'MCP server' });
    cli = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, usesPkce: true, scopes: ['read', 'write'] });
  });
  after(async () => {
    await env.close();
  });

  /** A user token of the public CLI app (device flow), aimed at `resource`. */
  const userToken = async (resource: string | null = MCP, organizationId: string | null = null) => {
    const d = await startDevice(env.deps, cli, 'openid read write', resource === null ? [] : [resource]);
    const decided = await decideDevice(env.deps, cli, d, 'approve', organizationId);
    const tokens = await deviceCode.handle(grantInput(cli, `device_code=${d.device_code}`, deviceCode.parameters, 'none'), env.deps);
    return { token: tokens.access_token, ...decided };
  };
  const exchange = (form: Record<string, string>, client: Application = mcpServer, method: 'client_secret_basic' | 'none' = 'client_secret_basic') =>
    tokenExchange.handle(grantInput(client, new URLSearchParams(form).toString(), tokenExchange.parameters, method), env.deps);
  const base = (subject: string) => ({ subject_token: subject, subject_token_type: AT, resource: API });

  it('reads only the RFC 8693 parameters', () => {
    assert.equal(tokenExchange.grantType, 'urn:ietf:params:oauth:grant-type:token-exchange');
    assert.deepEqual([...tokenExchange.parameters].sort(), ['actor_token', 'actor_token_type', 'audience', 'requested_token_type', 'resource', 'scope', 'subject_token', 'subject_token_type']);
  });

  it('keeps sub, sid and the scope; aud = the resource; act.sub and client_id = the exchanging client; never outlives the subject', async () => {
    const { token, user, consent } = await userToken();
    env.clock.advance(200_000);
    const out = await exchange(base(token));
    assert.equal(out.issued_token_type, AT);
    assert.equal(out.token_type, 'Bearer');
    assert.equal(out.scope, 'openid read write');
    assert.equal(out.refresh_token, undefined);
    const subject = claimsOf(token);
    const c = claimsOf(out.access_token);
    assert.equal(c.sub, user!.id);
    assert.equal(c.sid, consent!.id);
    assert.equal(c.aud, API);
    assert.equal(c.client_id, mcpServer.clientId);
    assert.deepEqual(c.act, { sub: mcpServer.clientId });
    assert.deepEqual(c.exchanged_from, [subject.jti]);
    assert.notEqual(c.jti, subject.jti);
    assert.equal(c.exp, subject.exp, 'bounded by the subject token (100 s left of its 300)');
    assert.equal(out.expires_in, 100);
  });

  it('an exchanged token exchanged again nests act (most recent actor outermost) and extends the chain', async () => {
    const { token } = await userToken();
    const first = await exchange(base(token));
    const second = await exchange({ ...base(first.access_token), resource: MCP });
    const c = claimsOf(second.access_token);
    assert.deepEqual(c.act, { sub: mcpServer.clientId, act: { sub: mcpServer.clientId } });
    assert.deepEqual(c.exchanged_from, [claimsOf(first.access_token).jti, claimsOf(token).jti]);
    assert.equal(c.aud, MCP);
  });

  it('a chain is bounded: a token exchanged 5 times (exchanged_from names 5) cannot be exchanged again', async () => {
    let { token } = await userToken();
    for (let i = 1; i <= 5; i++) {
      token = (await exchange(base(token))).access_token;
      assert.equal((claimsOf(token).exchanged_from as string[]).length, i);
    }
    await assert.rejects(exchange(base(token)), (e) => is('invalid_grant')(e) && /exchanged too many times/.test((e as Error).message));
  });

  it('scope may narrow, never widen; org_id is kept while the user is a member', async () => {
    const org = await env.deps.storage.organizations.create({ id: env.deps.ids(ID_PREFIX.organization), name: 'Org', externalId: null, metadata: {}, allowProfilesOutsideOrganization: false, domains: [], at: env.deps.clock.now() });
    const { token, membership } = await userToken(MCP, org.id);
    const narrow = await exchange({ ...base(token), scope: 'read' });
    assert.equal(narrow.scope, 'read');
    assert.equal(claimsOf(narrow.access_token).org_id, org.id);
    await assert.rejects(exchange({ ...base(token), scope: 'read admin' }), is('invalid_scope'));
    await assert.rejects(exchange({ ...base(token), scope: '%%%' }), is('invalid_scope'));
    await env.deps.storage.memberships.delete(membership!.id);
    await assert.rejects(exchange(base(token)), is('invalid_grant'));
  });

  it('the target: one of PORTICO_RESOURCES, required; audience may name the same one', async () => {
    const { token } = await userToken();
    await assert.rejects(exchange({ subject_token: token, subject_token_type: AT }), is('invalid_request'));
    await assert.rejects(exchange({ ...base(token), resource: 'https://elsewhere.example.test' }), is('invalid_target'));
    await assert.rejects(tokenExchange.handle(grantInput(mcpServer, `subject_token=${token}&subject_token_type=${AT}&resource=${API}&resource=${MCP}`, tokenExchange.parameters), env.deps), is('invalid_target'));
    await assert.rejects(exchange({ ...base(token), audience: MCP }), is('invalid_target'));
    assert.equal(claimsOf((await exchange({ ...base(token), audience: API })).access_token).aud, API);
    assert.equal(claimsOf((await exchange({ subject_token: token, subject_token_type: AT, audience: API })).access_token).aud, API);
  });

  it('only authenticated first-party apps; the RFC 8693 parameter errors', async () => {
    const { token } = await userToken();
    const third = await storeApplication(env.deps, { type: 'oauth', isFirstParty: false });
    await assert.rejects(exchange(base(token), third), is('unauthorized_client'));
    await assert.rejects(exchange(base(token), await storeApplication(env.deps)), is('unauthorized_client'));
    await assert.rejects(exchange(base(token), cli, 'none'), is('unauthorized_client'));
    await assert.rejects(exchange({ subject_token_type: AT, resource: API }), is('invalid_request'));
    await assert.rejects(exchange({ subject_token: token, resource: API }), is('invalid_request'));
    await assert.rejects(exchange({ ...base(token), subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), is('unsupported_token_type'));
    await assert.rejects(exchange({ ...base(token), actor_token: token, actor_token_type: AT }), is('invalid_request'));
    await assert.rejects(exchange({ ...base(token), requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), is('invalid_request'));
  });

  it('invalid_grant: not a token, an M2M token, an expired or revoked one, or one of a confidential client the caller may not see', async () => {
    const m2m = await storeApplication(env.deps);
    const m2mToken = (await mintM2MAccessToken(env.deps, m2m, ['read'], env.deps.environmentClientId)).access_token;
    for (const subject of ['garbage', m2mToken, 'a.b.c']) await assert.rejects(exchange(base(subject)), is('invalid_grant'));
    // A confidential client's user token: another first-party app may neither introspect nor exchange it.
    const own = await exchange(base((await userToken()).token));
    const otherFirstParty = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true });
    await assert.rejects(exchange(base(own.access_token), otherFirstParty), is('invalid_grant'));
    const { token } = await userToken();
    await env.deps.storage.revocations.revoke(claimsOf(token).jti as string, cli.clientId, new Date(Date.now() + 600_000));
    await assert.rejects(exchange(base(token)), is('invalid_grant'));
    const expiring = await userToken();
    env.clock.advance(301_000);
    await assert.rejects(exchange(base(expiring.token)), is('invalid_grant'));
  });

  it('revocation follows the chain: revoking the subject, or withdrawing the consent, kills the exchanged token', async () => {
    const { token, consent } = await userToken();
    const out = await exchange(base(token));
    const nested = await exchange(base(out.access_token));
    assert.ok(await liveAccessToken(env.deps, nested.access_token, mcpServer));
    await env.deps.storage.revocations.revoke(claimsOf(token).jti as string, cli.clientId, new Date(Date.now() + 600_000));
    assert.equal(await liveAccessToken(env.deps, out.access_token, mcpServer), null);
    assert.equal(await liveAccessToken(env.deps, nested.access_token, mcpServer), null);
    const second = await userToken();
    const out2 = await exchange(base(second.token));
    await env.deps.storage.consents.deleteMany([second.consent!.id]);
    assert.equal(await liveAccessToken(env.deps, out2.access_token, mcpServer), null);
    assert.ok(consent);
  });
});
