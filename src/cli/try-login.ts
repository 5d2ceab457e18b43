import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { openRuntime } from '../bootstrap.ts';
import type { Config } from '../config.ts';
import { CLI_CONTEXT } from '../domain/audit.ts';
import { systemClock } from '../domain/clock.ts';
import { createApiKey, revokeApiKey } from '../management/api-keys.ts';
import { CODE_TTL_MS, INTERACTION_TTL_MS } from '../oauth/authorize/flow.ts';
import { DEMO_NAME, DEMO_REDIRECT_URI, ensureDemoApp, managementClient } from './demo-app.ts';
import { listenForCallback } from './loopback-callback.ts';

/**
 * `portico try-login`: the authorization code flow of a native app (RFC 8252)
 * against a running Portico, for a person at a browser. It sets up a demo
 * public app through the management API, listens on a loopback callback,
 * prints the authorization URL (opening nothing itself), and when the browser
 * comes back exchanges the code at once and prints the decoded tokens. The
 * browser does the sign-in and consent itself: nothing here fakes them.
 */

export interface TryLoginOptions {
  /** Base URL of the running server; default: the issuer of this environment's configuration. */
  readonly url: string | null;
  /** Management API key; default: PORTICO_API_KEY, else a temporary key made through the database. */
  readonly apiKey: string | null;
  /** Callback port; 0 picks a free one. */
  readonly port: number;
}

/** A failure with one line for the terminal. */
export class TryLoginError extends Error {}

export const SCOPE = 'openid profile email offline_access';

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const random = () => randomBytes(32).toString('base64url');

async function discover(baseUrl: string): Promise<Discovery> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/.well-known/openid-configuration`);
  } catch {
    throw new TryLoginError(`nothing answers at ${baseUrl}: start Portico (npm start) or pass --url`);
  }
  if (res.status !== 200) throw new TryLoginError(`${baseUrl} is not a Portico server (discovery answered ${res.status})`);
  return (await res.json()) as Discovery;
}

/**
 * Runs `fn` with a management API key: the one given, else a temporary key
 * created in the server's database (the same configuration the server reads,
 * as `portico api-keys create` does) and revoked as soon as `fn` is done.
 */
async function withApiKey<T>(config: Config, given: string | null, fn: (key: string) => Promise<T>): Promise<T> {
  const key = given ?? config.apiKey;
  if (key !== null) return fn(key);
  const sqlitePath = config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.slice('sqlite:'.length) : null;
  if (sqlitePath !== null && (sqlitePath === ':memory:' || !existsSync(sqlitePath))) {
    throw new TryLoginError(`no API key: pass --api-key (or set PORTICO_API_KEY), or run try-login where the server runs so it can open ${sqlitePath}`);
  }
  const rt = await openRuntime(config);
  try {
    const deps = { storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids };
    const { key: created, plaintext } = await createApiKey(deps, 'try-login (temporary)', CLI_CONTEXT);
    try {
      return await fn(plaintext);
    } finally {
      await revokeApiKey(deps, created.id, CLI_CONTEXT);
    }
  } finally {
    await rt.storage.close();
  }
}

/** Header and claims of a JWT whose signature (and issuer, audience, type) checked out. */
async function verified(token: string, jwks: ReturnType<typeof createRemoteJWKSet>, options: { issuer: string; audience?: string; typ?: string }, what: string) {
  try {
    const { payload } = await jwtVerify(token, jwks, options);
    return { header: decodeProtectedHeader(token), payload };
  } catch (err) {
    throw new TryLoginError(`the ${what} failed verification: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function printJwt(name: string, jwt: { header: object; payload: JWTPayload }): void {
  const lifetime = typeof jwt.payload.exp === 'number' && typeof jwt.payload.iat === 'number' ? `, lives ${jwt.payload.exp - jwt.payload.iat} s` : '';
  out(`${name} (JWT${lifetime})`);
  out(`  header: ${JSON.stringify(jwt.header)}`);
  out(`  claims: ${JSON.stringify(jwt.payload, null, 2).replace(/\n/g, '\n  ')}`);
}

/** The whole run; resolves when the tokens are printed. */
export async function tryLogin(config: Config, options: TryLoginOptions): Promise<void> {
  const baseUrl = (options.url ?? config.issuer).replace(/\/+$/, '');
  const meta = await discover(baseUrl);
  const { clientId, created } = await withApiKey(config, options.apiKey, (key) => ensureDemoApp(managementClient(baseUrl, key)));
  const callback = await listenForCallback(options.port, INTERACTION_TTL_MS).catch((err: unknown) => {
    throw new TryLoginError(`cannot listen on 127.0.0.1:${options.port}: ${err instanceof Error ? err.message : String(err)}`);
  });

  const verifier = random();
  const state = random();
  const nonce = random();
  const authorize = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: clientId,
    redirect_uri: callback.redirectUri,
    response_type: 'code',
    scope: SCOPE,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(k, v);
  }

  process.once('SIGINT', () => {
    process.stderr.write('\nportico: try-login stopped (Ctrl-C) before the browser came back\n');
    process.exit(130);
  });
  out(`${created ? 'Created' : 'Using'} the demo app "${DEMO_NAME}" (${clientId}, public, PKCE, redirect URI ${DEMO_REDIRECT_URI} on any port).`);
  out(`Open this URL in a browser on this machine, sign in and allow access (within ${INTERACTION_TTL_MS / 60_000} minutes):`);
  out();
  out(`  ${authorize.href}`);
  out();
  out(`Waiting for the browser at ${callback.redirectUri} (Ctrl-C to stop)...`);

  const arrival = await callback.arrival.catch((err: unknown) => {
    throw new TryLoginError(err instanceof Error ? err.message : String(err));
  });
  const fail = async (message: string): Promise<never> => {
    await arrival.respond(false, 'Sign-in failed', `${message.charAt(0).toUpperCase()}${message.slice(1)}. See the terminal.`);
    throw new TryLoginError(message);
  };
  const p = arrival.params;
  if (p.get('state') !== state) return fail('the callback carried another state than this request sent (an old tab or another run?)');
  // RFC 9207: the response must come from the issuer the request went to.
  if (p.get('iss') !== meta.issuer) return fail(`the callback's iss (${p.get('iss') ?? 'missing'}) is not ${meta.issuer}`);
  const error = p.get('error');
  if (error !== null) return fail(`the authorization ended with ${error}${p.has('error_description') ? `: ${p.get('error_description')}` : ''}`);
  const code = p.get('code');
  if (code === null) return fail('the callback carried no code');

  // The code lives CODE_TTL_MS from the redirect; it is spent at once.
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: callback.redirectUri }),
  });
  const tokens = (await res.json()) as { access_token?: string; id_token?: string; refresh_token?: string; scope?: string; error?: string; error_description?: string };
  if (res.status !== 200 || tokens.access_token === undefined) {
    return fail(`the token endpoint refused the code (${res.status} ${tokens.error ?? ''}${tokens.error_description ? `: ${tokens.error_description}` : ''})`);
  }

  const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
  const failWith = (err: unknown) => fail(err instanceof Error ? err.message : String(err));
  const access = await verified(tokens.access_token, jwks, { issuer: meta.issuer, typ: 'at+jwt' }, 'access token').catch(failWith);
  const id = tokens.id_token === undefined ? null : await verified(tokens.id_token, jwks, { issuer: meta.issuer, audience: clientId }, 'ID token').catch(failWith);
  if (id && id.payload.nonce !== nonce) return fail('the ID token carries another nonce than this request sent');
  const who = (id?.payload.email as string | undefined) ?? String(access.payload.sub);
  await arrival.respond(true, `Signed in as ${who}`, 'Portico issued the tokens; they are printed in the terminal. You can close this tab.');

  out();
  out(`Exchanged the code at ${meta.token_endpoint} (codes live ${CODE_TTL_MS / 1000} s). Signatures verified with ${meta.jwks_uri}.`);
  out(`scope: ${tokens.scope ?? ''}`);
  printJwt('access_token', access);
  if (id) printJwt('id_token', id);
  out(tokens.refresh_token === undefined ? 'refresh_token: not issued' : `refresh_token: issued (opaque, ${tokens.refresh_token.length} characters; not printed)`);
}
