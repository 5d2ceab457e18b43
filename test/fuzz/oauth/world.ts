// Issue #3: the seeded world of the OAuth fuzz suite (moved out of test/fuzz/oauth-fuzz.test.ts by
// issue #9): an organization, an M2M app with a secret, a first-party OAuth app with a secret, and
// two live access tokens of the M2M client. The sentinel is sent to the token and introspection
// endpoints, the victim is the only one the revocation endpoint ever sees; whenever a request may
// have revoked either, it is replaced by a freshly minted one.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import type { TestServer } from '../../support/server.ts';
import { FORM } from '../support/config.ts';
import { basicHeader, harness } from '../support/harness.ts';
import { resolve } from '../support/placeholders.ts';
import { seed, seedClient } from '../support/seeding.ts';
import { REVOKE, TOKEN, INTROSPECTION, type Endpoint, type Placeholder } from './requests.ts';

/**
 * Throttling off in all but name. '1000000' would be the round number, but the
 * config accepts at most six digits (src/config.ts rejects it as "must be a
 * positive integer"), so this is the largest accepted value.
 */
export const NO_THROTTLE = { PORTICO_AUTH_FAILURE_LIMIT: '999999' };

export interface Client {
  readonly appId: string;
  readonly clientId: string;
  readonly secret: string;
}

export interface World {
  readonly m2m: Client;
  readonly oauth: Client;
  /** Never sent to /oauth2/revoke by construction; replaced only if a revocation of it succeeded anyway. */
  sentinel: string;
  /** The token /oauth2/revoke sees; replaced after every 200 that may have revoked it. */
  victim: string;
  rotations: number;
  readonly kid: string;
  readonly publicPem: string;
  readonly publicJwk: string;
  readonly modulus: Buffer;
}

export interface Ctx {
  server: TestServer;
  world: World;
  statuses: Map<number, number>;
  /** False on the throttled server, where minting may itself be throttled. */
  canMint: boolean;
}

/** Resolves the placeholders of `text`; `@@token@@` is `token`. */
export function resolveIn(text: string, ctx: Ctx, token: string): string {
  const values: Record<Placeholder, string> = {
    m2m: ctx.world.m2m.clientId,
    m2m_secret: ctx.world.m2m.secret,
    oauth: ctx.world.oauth.clientId,
    oauth_secret: ctx.world.oauth.secret,
    key: ctx.server.apiKey,
    token,
    kid: ctx.world.kid,
  };
  return resolve(text, values);
}

/** A clean POST with a form body, for seeding and the harness's own checks (not fuzzed). */
async function cleanPost(server: TestServer, path: string, client: Client, form: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await harness(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: basicHeader(client.clientId, client.secret), 'content-type': FORM },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, text: await res.text() };
}

/** A fresh access token of `m2m` (client_credentials). */
export async function mint(server: TestServer, m2m: Client): Promise<string> {
  const { status, text } = await cleanPost(server, TOKEN, m2m, { grant_type: 'client_credentials' });
  assert.equal(status, 200, `minting a token: ${status} ${text}`);
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  assert.equal(typeof token, 'string');
  return token as string;
}

/** Introspection of `token` by `client` (which must succeed). */
export async function introspect(server: TestServer, client: Client, token: string): Promise<Record<string, unknown>> {
  const { status, text } = await cleanPost(server, INTROSPECTION, client, { token });
  assert.equal(status, 200, `introspection: ${status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A JWS part's JSON object, or null. */
export function decodeSegment(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** An organization, an M2M app with a secret, a first-party OAuth app with a secret, two live tokens. */
export async function seedWorld(server: TestServer): Promise<World> {
  const org = await seed<{ id: string }>(server, '/organizations', { name: 'OAuth Fuzz' }, 'organization');
  const m2m = await seedClient(server, { name: 'Fuzz M2M', application_type: 'm2m', organization_id: org.id, scopes: ['read', 'write'] }, 'm2m application');
  const oauth = await seedClient(
    server,
    { name: 'Fuzz OAuth', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: 'https://app.test/callback', default: true }] },
    'oauth application',
  );
  const sentinel = await mint(server, m2m);
  const victim = await mint(server, m2m);
  const header = decodeSegment(sentinel.split('.')[0] ?? '');
  const kid = header?.kid;
  assert.equal(typeof kid, 'string', 'the minted token has a kid');
  const jwks = (await (await harness(`${server.baseUrl}/oauth2/jwks`)).json()) as { keys: Record<string, unknown>[] };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  assert.ok(jwk, 'the signing key is published');
  const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return {
    m2m,
    oauth,
    sentinel,
    victim,
    rotations: 0,
    kid: kid as string,
    publicPem,
    publicJwk: JSON.stringify(jwk),
    modulus: Buffer.from(typeof jwk.n === 'string' ? jwk.n : '', 'base64url'),
  };
}

/** The live token an endpoint's requests carry: only the revocation endpoint sees the victim. */
export const liveToken = (ctx: Ctx, endpoint: Endpoint) => (endpoint === REVOKE ? ctx.world.victim : ctx.world.sentinel);
export const otherToken = (ctx: Ctx, endpoint: Endpoint) => (endpoint === REVOKE ? ctx.world.sentinel : ctx.world.victim);
