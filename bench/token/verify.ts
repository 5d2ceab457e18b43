import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { BODY, SCOPE, USER_SCOPE, type Alg } from './common.ts';
import { basicAuth, tokenRequest, type TokenAnswer } from './flow.ts';
import type { Live } from './targets.ts';

/**
 * The one real request checked before every measured run: the status, the
 * tokens' algorithm, signatures, issuer and the claims that say the right
 * client and grant were served.
 */

export interface Verified {
  /** Claim names of the access token. */
  readonly claims: string[];
  /** Length of the access token. */
  readonly bytes: number;
  /** Whatever else the grant's answer carried (ID token, refresh token), for the report. */
  readonly extra: Record<string, unknown> | null;
}

async function verifyJwt(live: Live, alg: Alg, token: unknown, what: string, audience?: string): Promise<JWTPayload> {
  const name = live.server.name;
  if (typeof token !== 'string' || token.split('.').length !== 3) throw new Error(`${name}: ${what} is not a three-part JWT`);
  const header = decodeProtectedHeader(token);
  if (header.alg !== alg) throw new Error(`${name}: ${what} signed with ${String(header.alg)}, expected ${alg}`);
  const { payload } = await jwtVerify(token, createLocalJWKSet(await live.jwks()), {
    algorithms: [alg],
    issuer: live.issuer,
    ...(audience !== undefined && { audience }),
  });
  return payload;
}

function expectOk(live: Live, answer: TokenAnswer): void {
  if (answer.status !== 200) throw new Error(`${live.server.name}: token request answered HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.cacheControl !== 'no-store') throw new Error(`${live.server.name}: Cache-Control is ${String(answer.cacheControl)}`);
}

/** client_credentials: 200, a JWT of `alg` that verifies, with our client and scope. */
export async function verifyClientCredentials(live: Live, alg: Alg): Promise<Verified> {
  const answer = await tokenRequest(live.server.baseUrl, basicAuth(live.clientId, live.secret), Object.fromEntries(new URLSearchParams(BODY)));
  expectOk(live, answer);
  const token = answer.json.access_token;
  const payload = await verifyJwt(live, alg, token, 'access_token');
  if (payload.client_id !== live.clientId || payload.scope !== SCOPE || typeof payload.jti !== 'string' || payload.aud === undefined) {
    throw new Error(`${live.server.name}: unexpected claims ${JSON.stringify(payload)}`);
  }
  return { claims: Object.keys(payload).sort(), bytes: String(token).length, extra: null };
}

/**
 * authorization_code and refresh_token answers for `openid offline_access`:
 * an access token for the user and client, an ID token for the client (with
 * the nonce of the authorization request, when given) and a new refresh
 * token. Returns the refresh token with the report.
 */
export async function verifyUserTokens(
  live: Live,
  alg: Alg,
  answer: TokenAnswer,
  expect: { nonce: string | null; previousRefresh: string | null },
): Promise<Verified & { refreshToken: string }> {
  const name = live.server.name;
  expectOk(live, answer);
  const body = answer.json;
  const access = await verifyJwt(live, alg, body.access_token, 'access_token');
  if (access.client_id !== live.clientId || access.scope !== USER_SCOPE || typeof access.sub !== 'string' || typeof access.jti !== 'string') {
    throw new Error(`${name}: unexpected access token claims ${JSON.stringify(access)}`);
  }
  const id = await verifyJwt(live, alg, body.id_token, 'id_token', live.clientId);
  if (id.sub !== access.sub) throw new Error(`${name}: ID token sub ${String(id.sub)} is not the access token's ${access.sub}`);
  if (expect.nonce !== null && id.nonce !== expect.nonce) throw new Error(`${name}: ID token nonce ${String(id.nonce)}, expected ${expect.nonce}`);
  const refresh = body.refresh_token;
  if (typeof refresh !== 'string' || refresh.length < 20) throw new Error(`${name}: no refresh_token in ${answer.text.slice(0, 300)}`);
  if (refresh === expect.previousRefresh) throw new Error(`${name}: the refresh token was not rotated`);
  if (body.scope !== USER_SCOPE || body.token_type !== 'Bearer') throw new Error(`${name}: unexpected answer ${answer.text.slice(0, 300)}`);
  return {
    claims: Object.keys(access).sort(),
    bytes: String(body.access_token).length,
    extra: {
      idTokenClaims: Object.keys(id).sort(),
      idTokenBytes: String(body.id_token).length,
      refreshTokenBytes: refresh.length,
      responseBytes: answer.text.length,
    },
    refreshToken: refresh,
  };
}
