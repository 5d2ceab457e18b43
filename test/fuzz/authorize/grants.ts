// Issue #4: codes and refresh-token families the token-grant property works on: minted through
// /oauth2/authorize, exchanged and refreshed cleanly (harness, not fuzzed), their state read from
// storage (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9).
import assert from 'node:assert/strict';
import { pkcePair } from '../../support/oauth-flow.ts';
import { authorizeUrl } from './params.ts';
import { plainGet, tokenPost } from './seed.ts';
import { clientOf, RESOURCE, type Family, type World } from './world.ts';

/** A code minted for the case just before it is sent (codes are single-use and live a minute). */
export interface Mint {
  readonly client: 'conf' | 'pub';
  readonly pkce: boolean;
  readonly redirect: string;
  readonly scope: string;
  readonly resource: boolean;
}

/** The refresh-token families the world keeps, one of each kind. */
export const FAMILY_KINDS: readonly { client: 'conf' | 'pub'; scope: string; resource: boolean }[] = [
  { client: 'conf', scope: 'openid offline_access read', resource: false },
  { client: 'conf', scope: 'offline_access read write', resource: true },
  { client: 'pub', scope: 'openid profile offline_access', resource: false },
  { client: 'pub', scope: 'offline_access read', resource: true },
];

/** A fresh code for user A through /oauth2/authorize with the session (no page step: first-party, or already consented). */
export async function mintCode(w: World, m: Mint): Promise<{ code: string; verifier: string | null }> {
  const client = clientOf(w, m.client);
  const pkce = m.pkce || m.client === 'pub' ? pkcePair() : null;
  const params: Record<string, string> = { client_id: client.clientId, redirect_uri: m.redirect, response_type: 'code', scope: m.scope, state: 'mint' };
  if (pkce) Object.assign(params, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  if (m.resource) params.resource = RESOURCE;
  const res = await plainGet(authorizeUrl(w.issuer, params), `portico_session=${w.sessionA}`);
  const location = new URL(res.headers.get('location') ?? `${w.issuer}/none`);
  const code = location.searchParams.get('code');
  assert.ok(res.status === 302 && code, `minting a code (${JSON.stringify(m)}) went to ${res.status} ${location}`);
  return { code, verifier: pkce?.verifier ?? null };
}

/** A clean exchange by the code's own client (harness, not fuzzed). */
export async function cleanExchange(w: World, m: Mint, code: string, verifier: string | null): Promise<Record<string, unknown>> {
  const client = clientOf(w, m.client);
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: m.redirect };
  if (verifier !== null) form.code_verifier = verifier;
  if (client.secret === null) form.client_id = client.clientId;
  const res = await tokenPost(w.server, form, client.secret === null ? null : { id: client.clientId, secret: client.secret });
  const text = await res.text();
  assert.equal(res.status, 200, `clean code exchange: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A new family of kind `kind` (FAMILY_KINDS), from a fresh code. */
export async function newFamily(w: World, kind: number): Promise<Family> {
  const k = FAMILY_KINDS[kind]!;
  const m: Mint = { client: k.client, pkce: k.client === 'pub', redirect: clientOf(w, k.client).redirects[0]!, scope: k.scope, resource: k.resource };
  const { code, verifier } = await mintCode(w, m);
  const body = await cleanExchange(w, m, code, verifier);
  assert.equal(typeof body.refresh_token, 'string');
  return { client: clientOf(w, k.client), scopes: k.scope.split(' '), resource: k.resource ? RESOURCE : null, live: body.refresh_token as string, rotated: [], revoked: false };
}

/** What became of a family's live token, read from storage (the public client's tokens cannot be introspected). */
export async function familyState(w: World, f: Family): Promise<'live' | 'rotated' | 'revoked' | 'unknown'> {
  const row = await w.server.storage.refreshTokens.find(w.server.keyring.digest('token', f.live).toString('hex'));
  return !row ? 'unknown' : row.revokedAt !== null ? 'revoked' : row.rotatedAt !== null ? 'rotated' : 'live';
}

/** A clean refresh by the family's client: gives the family a rotated token. */
export async function cleanRefresh(w: World, f: Family): Promise<void> {
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: f.live };
  if (f.client.secret === null) form.client_id = f.client.clientId;
  const res = await tokenPost(w.server, form, f.client.secret === null ? null : { id: f.client.clientId, secret: f.client.secret });
  const text = await res.text();
  assert.equal(res.status, 200, `clean refresh: ${text}`);
  f.rotated.push(f.live);
  f.live = (JSON.parse(text) as { refresh_token: string }).refresh_token;
}
