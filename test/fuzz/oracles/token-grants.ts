// Issue #4: the oracle of POST /oauth2/token for the authorization_code and refresh_token grants
// (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9). prepareToken mints what the case
// needs, renders it and decides from RFC 6749 §4.1.3 and §6, RFC 7636 §4.6 and RFC 8707 whether the
// request is valid: a 200 exactly then, with the granted scopes, and a refresh token exactly for
// offline_access; an OAuth error otherwise. A refresh that is right in everything but the token
// (a rotated one, a revoked family) revokes the family as reuse; nothing else may touch a family.
import assert from 'node:assert/strict';
import { pkcePair } from '../../support/oauth-flow.ts';
import { FORM } from '../support/config.ts';
import { basicHeader } from '../support/harness.ts';
import { cleanExchange, cleanRefresh, familyState, mintCode, newFamily } from '../authorize/grants.ts';
import { encodePairs, type Pair } from '../authorize/params.ts';
import { assertErrorDescription, count, send, tag } from '../authorize/replies.ts';
import type { Auth, CodeMutation, TokenCase } from '../authorize/token-cases.ts';
import { clientOf, ph, RESOURCE, SAME_RESOURCE, type Client, type Family, type World } from '../authorize/world.ts';

function mutate(value: string, m: CodeMutation): string {
  const i = Math.min(value.length - 1, Math.floor((m.at / 1000) * value.length));
  switch (m.op) {
    case 'flip':
      return value.slice(0, i) + (value[i] === m.char ? (m.char === 'A' ? 'B' : 'A') : m.char) + value.slice(i + 1);
    case 'append':
      return value + m.char;
    case 'prefix':
      return m.char + value;
    case 'truncate':
      return value.slice(0, i);
    case 'case':
      return value.slice(0, i) + (value[i] === value[i]?.toUpperCase() ? value[i]?.toLowerCase() : value[i]?.toUpperCase()) + value.slice(i + 1);
  }
}

interface RenderedAuth {
  readonly header: string | null;
  readonly pairs: Pair[];
  /** The client this authenticates as, or null when authentication must fail. */
  readonly as: Client | null;
  /** The request is malformed before authentication (two methods, mismatched client_id). */
  readonly malformed: boolean;
}

function renderAuth(w: World, owner: Client, a: Auth): RenderedAuth {
  const other = owner === w.conf ? w.pub : w.conf;
  const unknown: Client = { name: 'm2m', appId: '', clientId: 'client_01ARZ3NDEKTSV4RRFFQ69G5FAV', secret: 'unknown-secret', redirects: [], scopes: [], usesPkce: false };
  const c = a.who === 'owner' ? owner : a.who === 'other' ? other : a.who === 'm2m' ? w.m2m : unknown;
  const real = c !== unknown;
  const secret = c.secret ?? 'not-a-secret';
  const hasSecret = real && c.secret !== null;
  const how = a.how === 'natural' ? (c.secret === null && real ? 'none' : 'basic') : a.how;
  switch (how) {
    case 'basic':
      return { header: basicHeader(c.clientId, secret), pairs: [], as: hasSecret ? c : null, malformed: false };
    case 'post':
      return { header: null, pairs: [['client_id', c.clientId], ['client_secret', secret]], as: hasSecret ? c : null, malformed: false };
    case 'none':
      return { header: null, pairs: [['client_id', c.clientId]], as: real && c.secret === null ? c : null, malformed: false };
    case 'nothing':
      return { header: null, pairs: [], as: null, malformed: false };
    case 'basic-wrong':
      return { header: basicHeader(c.clientId, `${secret}x`), pairs: [], as: null, malformed: false };
    case 'post-wrong':
      return { header: null, pairs: [['client_id', c.clientId], ['client_secret', secret.slice(0, -1)]], as: null, malformed: false };
    case 'basic+post':
      return { header: basicHeader(c.clientId, secret), pairs: [['client_secret', secret]], as: null, malformed: true };
    case 'basic+same-id':
      return { header: basicHeader(c.clientId, secret), pairs: [['client_id', c.clientId]], as: hasSecret ? c : null, malformed: false };
    case 'basic+other-id':
      return { header: basicHeader(c.clientId, secret), pairs: [['client_id', `${c.clientId}x`]], as: null, malformed: true };
    case 'garbage':
      return { header: `Bearer ${secret}`, pairs: [['client_id', c.clientId]], as: null, malformed: true };
  }
}

interface TokenExpectation {
  /** The request is valid: exactly then a 200. */
  readonly ok: boolean;
  readonly scopes: readonly string[];
  /** Only for the refresh grant: the family the request rotates (ok) or revokes as reuse (not ok). */
  readonly family: Family | null;
  readonly revokes: boolean;
  readonly why: string;
}

/** Renders a token case into a form + Authorization header and says whether it is valid (RFC 6749 §4.1.3, §6, RFC 7636 §4.6, RFC 8707). */
async function prepareToken(w: World, c: TokenCase): Promise<{ header: string | null; pairs: Pair[]; expect: TokenExpectation }> {
  const reasons: string[] = [];
  const expected = c.grant === 'code' ? 'authorization_code' : 'refresh_token';
  if (c.grantType !== expected) reasons.push(`grant_type ${JSON.stringify(c.grantType)}`);

  if (c.grant === 'code') {
    const owner = clientOf(w, c.mint.client);
    const a = renderAuth(w, owner, c.auth);
    const minted = await mintCode(w, c.mint);
    if (c.code === 'used') await cleanExchange(w, c.mint, minted.code, minted.verifier);
    const code = c.code === 'fresh' || c.code === 'used' || c.code === 'repeated' ? minted.code : c.code === 'missing' ? null : 'mutate' in c.code ? mutate(minted.code, c.code.mutate) : c.code.literal;
    const right = minted.verifier ?? pkcePair().verifier;
    const v = c.verifier;
    const verifier =
      v === 'missing' ? null : v === 'right' || v === 'repeated' ? right : v === 'wrong' ? pkcePair().verifier : v === 'short' ? right.slice(0, 42) : v === 'long' ? right + 'a'.repeat(86) : v === 'max-wrong' ? right + 'a'.repeat(85) : v === 'suffix' ? `${right}~` : right.slice(0, v.at) + v.badChar + right.slice(v.at + 1);
    const redirect = c.redirectUri === 'missing' ? null : c.redirectUri === 'same' || c.redirectUri === 'repeated' ? c.mint.redirect : c.redirectUri.literal;
    const pairs: Pair[] = [['grant_type', c.grantType], ...a.pairs];
    if (code !== null) pairs.push(['code', code]);
    if (c.code === 'repeated') pairs.push(['code', code ?? '']);
    if (verifier !== null) pairs.push(['code_verifier', verifier]);
    if (v === 'repeated') pairs.push(['code_verifier', right]);
    if (redirect !== null) pairs.push(['redirect_uri', redirect]);
    if (c.redirectUri === 'repeated') pairs.push(['redirect_uri', c.mint.redirect]);
    pairs.push(...c.extra);

    if (a.malformed || a.as === null) reasons.push('client authentication fails');
    else if (a.as !== owner) reasons.push(`authenticated as ${a.as.name}, the code is ${owner.name}'s`);
    if (c.code === 'used') reasons.push('the code was already exchanged');
    if (c.code === 'repeated') reasons.push('code repeated');
    if (code !== minted.code) reasons.push('not the code that was issued');
    if (redirect !== null && redirect !== c.mint.redirect) reasons.push('redirect_uri differs from the authorization request');
    // RFC 6749 §4.1.3: required at the token endpoint because every minted code's authorization request sent one.
    if (redirect === null) reasons.push('redirect_uri missing although the authorization request sent one');
    if (c.redirectUri === 'repeated') reasons.push('redirect_uri repeated');
    if (minted.verifier === null ? verifier !== null : verifier !== minted.verifier) reasons.push(minted.verifier === null ? 'a code_verifier for a code without challenge' : 'wrong code_verifier');
    if (v === 'repeated') reasons.push('code_verifier repeated');
    return { header: a.header, pairs, expect: { ok: reasons.length === 0, scopes: [...new Set(c.mint.scope.split(' '))], family: null, revokes: false, why: reasons.join('; ') || 'valid' } };
  }

  const f = w.families[c.family]!;
  if (c.token === 'rotated' && f.rotated.length === 0) await cleanRefresh(w, f);
  const a = renderAuth(w, f.client, c.auth);
  const other = w.families[(c.family + 1) % w.families.length]!;
  const token = c.token === 'live' || c.token === 'repeated' ? f.live : c.token === 'rotated' ? f.rotated.at(-1)! : c.token === 'other-family' ? other.live : c.token === 'missing' ? null : 'mutate' in c.token ? mutate(f.live, c.token.mutate) : c.token.literal;
  const scope = c.scope === null ? null : c.scope.replaceAll(ph('all'), f.scopes.join(' ')).replaceAll(ph('first'), f.scopes[1] ?? f.scopes[0]!);
  const pairs: Pair[] = [['grant_type', c.grantType], ...a.pairs];
  if (token !== null) pairs.push(['refresh_token', token]);
  if (c.token === 'repeated') pairs.push(['refresh_token', token ?? '']);
  if (scope !== null) pairs.push(['scope', scope]);
  for (const r of c.resource) pairs.push(['resource', r]);
  pairs.push(...c.extra);

  const family = token === null ? null : (w.families.find((x) => x.live === token || x.rotated.includes(token)) ?? null);
  const requested = scope === null || scope === '' ? null : [...new Set(scope.split(' ').filter((s) => s !== ''))];
  const scopesOk = requested === null || (requested.length > 0 && family !== null && requested.every((s) => family.scopes.includes(s)));
  const resources = c.resource.filter((r) => r !== '');
  // RFC 8707 §2: a refresh request may name the resource of the grant, nothing else (and nothing when the grant had none).
  const resourceOk = resources.length === 0 || (resources.length === 1 && family?.resource === RESOURCE && SAME_RESOURCE.includes(resources[0]!));
  if (a.malformed || a.as === null) reasons.push('client authentication fails');
  if (c.token === 'repeated') reasons.push('refresh_token repeated');
  if (family === null) reasons.push('not a refresh token that was issued');
  else if (a.as !== null && a.as !== family.client) reasons.push(`authenticated as ${a.as.name}, the token is ${family.client.name}'s`);
  if (!scopesOk) reasons.push('scope not a non-empty subset of the grant');
  if (!resourceOk) reasons.push('resource other than the grant\'s');
  // Everything but the token itself is right: the server acts on the token (rotates it, or treats a reuse as theft).
  const acts = reasons.length === 0;
  const reused = family !== null && (family.revoked || family.live !== token);
  if (acts && reused) reasons.push(family.revoked ? 'the family was revoked' : 'a rotated token (reuse)');
  const expect: TokenExpectation = {
    ok: reasons.length === 0,
    scopes: requested ?? family?.scopes ?? [],
    family: acts ? family : null,
    revokes: acts && reused,
    why: reasons.join('; ') || 'valid',
  };
  return { header: a.header, pairs, expect };
}

export async function checkToken(w: World, c: TokenCase): Promise<void> {
  // A family revoked (as reuse) by an earlier run, or left in an unknown state by a failed one, is replaced.
  for (const [i, f] of w.families.entries()) {
    if (f.revoked || (await familyState(w, f)) !== 'live') {
      w.families[i] = await newFamily(w, i);
      w.replaced++;
    }
  }
  const { header, pairs, expect } = await prepareToken(w, c);
  const headers: Record<string, string> = { 'content-type': FORM };
  if (header !== null) headers.authorization = header;
  const body = new Uint8Array(Buffer.from(encodePairs(pairs, {}).join('&')));
  const r = await send(w, 'POST', `${w.issuer}/oauth2/token`, headers, body);
  const context = `expected: ${expect.ok ? '200' : 'an error'} because ${expect.why}\n${tag(r)}`;
  assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `token response without Cache-Control: no-store: ${context}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    assert.fail(`token response is not JSON: ${context}`);
  }
  if (expect.family && expect.revokes) expect.family.revoked = true;
  if (r.status === 200 && expect.family && expect.ok) {
    expect.family.rotated.push(expect.family.live);
    expect.family.live = String(json.refresh_token);
  }
  if (r.status === 200) {
    assert.ok(expect.ok, `a 200 for an invalid token request: ${context}`);
    assert.equal(typeof json.access_token, 'string', context);
    assert.equal(json.token_type, 'Bearer', context);
    assert.ok(typeof json.expires_in === 'number' && json.expires_in > 0, context);
    assert.deepEqual(String(json.scope).split(' ').sort(), [...expect.scopes].sort(), `scope of the tokens is not the granted one: ${context}`);
    const offline = c.grant === 'refresh' || expect.scopes.includes('offline_access');
    assert.equal(typeof json.refresh_token === 'string', offline, `refresh_token ${offline ? 'missing' : 'without offline_access'}: ${context}`);
    assert.equal(typeof json.id_token === 'string', expect.scopes.includes('openid'), `id_token presence does not follow the openid scope: ${context}`);
    count(w, `${c.grant} 200`);
  } else {
    assert.ok(!expect.ok, `a valid token request was refused: ${context}`);
    assert.ok(r.status === 400 || r.status === 401, `OAuth errors are 400 or 401 (RFC 6749 §5.2): ${context}`);
    assert.equal(typeof json.error, 'string', `OAuth error without "error": ${context}`);
    assert.equal(typeof json.error_description, 'string', `OAuth error without "error_description": ${context}`);
    assertErrorDescription(json.error_description as string, context);
    if (r.status === 401 && header?.startsWith('Basic ')) assert.match(r.headers.get('www-authenticate') ?? '', /\bBasic\b/, `401 to Basic credentials without WWW-Authenticate: Basic: ${context}`);
    count(w, `${c.grant} ${String(json.error)}`);
  }
  // Nothing but the request the oracle says acts on a family may have rotated or revoked it.
  for (const [i, f] of w.families.entries()) {
    if (f.revoked) continue;
    const state = await familyState(w, f);
    if (state !== 'live') {
      f.revoked = true;
      assert.fail(`refresh family ${i} (${f.client.name}, ${f.scopes.join(' ')}${f.resource === null ? '' : `, ${f.resource}`}) is now ${state} after a request the oracle says leaves it alone: ${context}`);
    }
  }
}
