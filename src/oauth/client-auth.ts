import type { Application } from '../domain/application.ts';
import { MAX_PRESENTED_SECRET_LENGTH } from '../domain/client-secret.ts';
import { OAuthError } from '../domain/errors.ts';
import type { Form } from '../domain/form.ts';
import { digestsEqual } from '../domain/keyring.ts';
import type { OAuthDeps, RequestMeta } from './deps.ts';
import { invalidClient } from './errors.ts';
import { throttledFailure } from './throttle.ts';
import { assertionIssuer, JWT_BEARER_ASSERTION, verifyClientAssertion } from './clients/assertion.ts';
import { findClient, isDocumentClientId } from './clients/resolve.ts';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt';

export interface AuthenticatedClient {
  readonly application: Application;
  readonly method: ClientAuthMethod;
}

/** What a request presents to authenticate: the Authorization header (if any) and the form. */
export interface ClientAuthInput {
  readonly authorization: string | undefined;
  readonly form: Form;
  readonly meta: RequestMeta;
}

export type ClientAuthDeps = Pick<OAuthDeps, 'storage' | 'keyring' | 'clock' | 'config' | 'failures' | 'warn' | 'ids' | 'outbound' | 'metrics'>;

/** `last_used_at` is rewritten at most once a minute per secret (DESIGN.md §4). */
const TOUCH_INTERVAL_MS = 60_000;
const CLIENT_ID_MAX = 255;

interface Presented {
  readonly clientId: string;
  readonly secret: string | null;
  readonly method: ClientAuthMethod;
  /** RFC 7523 client assertion (private_key_jwt). */
  readonly assertion?: string;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function decodeBasicPart(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

/** The credentials a request presents (RFC 6749 §2.3.1), without checking them. */
export function presentedCredentials(authorization: string | undefined, form: Form, acceptAssertions = false): Presented {
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  // Client assertions exist only where private_key_jwt is offered (metadata-document clients); elsewhere
  // they are parameters nobody reads, and unknown parameters are ignored (RFC 6749 §3.1).
  const assertionType = acceptAssertions ? form.get('client_assertion_type') : undefined;
  const assertion = acceptAssertions ? form.get('client_assertion') : undefined;
  if (assertionType !== undefined || assertion !== undefined) {
    // RFC 7523 §2.2 (private_key_jwt): one method per request (RFC 6749 §2.3).
    if (authorization !== undefined || bodySecret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method, not a client assertion and a secret.');
    if (assertionType !== JWT_BEARER_ASSERTION || assertion === undefined) throw invalidClient(false, 'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer, with client_assertion.');
    const issuer = assertionIssuer(assertion);
    const clientId = bodyId ?? issuer;
    if (clientId === null || (bodyId !== undefined && issuer !== null && issuer !== bodyId)) throw invalidClient(false, 'The client assertion does not name this client.');
    return { clientId, secret: null, method: 'private_key_jwt', assertion };
  }
  if (authorization !== undefined) {
    const m = /^Basic[ ]+([A-Za-z0-9+/]+=*)\s*$/i.exec(authorization);
    if (!m) throw invalidClient(true, 'Unsupported or malformed Authorization header; use HTTP Basic.');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw invalidClient(true, 'Malformed Basic credentials.');
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeBasicPart(decoded.slice(0, colon));
      secret = decodeBasicPart(decoded.slice(colon + 1));
    } catch {
      throw invalidClient(true, 'Malformed Basic credentials.');
    }
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
    if (bodySecret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method: Basic or client_secret in the body, not both.');
    if (bodyId !== undefined && bodyId !== clientId) throw new OAuthError('invalid_request', 'client_id in the body does not match the Basic credentials.');
    return { clientId, secret, method: 'client_secret_basic' };
  }
  if (bodyId === undefined) throw invalidClient(false, 'Client authentication is required (client_secret_basic or client_secret_post).');
  return { clientId: bodyId, secret: bodySecret ?? null, method: bodySecret === undefined ? 'none' : 'client_secret_post' };
}

/**
 * A failed authentication: 401 invalid_client, or 429 once this client or
 * address failed too often. Unknown client IDs count against the address only
 * (made-up IDs must not create rows without bound).
 */
async function failure(deps: ClientAuthDeps, meta: RequestMeta, clientId: string | null, reason: string, basic: boolean): Promise<OAuthError> {
  const throttled = await throttledFailure(deps, clientId, meta.ip, reason, meta.requestId);
  return throttled ?? invalidClient(basic);
}

/**
 * Authenticates the calling client. The presented secret is digested once and
 * compared (constant time) with each stored digest, so a wrong secret costs
 * one HMAC however many secrets the application holds. Success stamps
 * `last_used_at` on the secret that matched.
 */
export async function authenticateClient(deps: ClientAuthDeps, input: ClientAuthInput, options: { allowPublic: boolean } = { allowPublic: true }): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(input.authorization, input.form, deps.config.clientIdMetadataDocuments);
  const basic = presented.method === 'client_secret_basic';
  const { clientId, secret } = presented;
  const document = isDocumentClientId(deps, clientId);
  // Control characters (NUL above all: PostgreSQL cannot even compare it) cannot be in any client ID.
  if (clientId.length === 0 || (!document && clientId.length > CLIENT_ID_MAX) || /[\u0000-\u001f\u007f]/.test(clientId) || (secret !== null && secret.length > MAX_PRESENTED_SECRET_LENGTH)) {
    throw invalidClient(basic);
  }
  // A metadata-document client (issue #10): fetched or refreshed first, so its row (the shared cache) is current.
  if (document) await findClient(deps, clientId, input.meta);
  const credentials = await deps.storage.secrets.findCredentials(clientId, deps.clock.now());
  const wantsAssertion = credentials?.application.dynamic?.metadata.tokenEndpointAuthMethod === 'private_key_jwt';

  if (presented.method === 'private_key_jwt') {
    if (!credentials || !wantsAssertion) throw await failure(deps, input.meta, credentials ? clientId : null, 'unexpected_assertion', basic);
    try {
      await verifyClientAssertion(deps, credentials.application, presented.assertion!);
    } catch (err) {
      const failed = await failure(deps, input.meta, clientId, 'bad_assertion', basic);
      throw failed.status === 429 ? failed : err;
    }
    return { application: credentials.application, method: 'private_key_jwt' };
  }
  if (secret === null) {
    // `none`: only public OAuth apps (uses_pkce), which then must prove PKCE at the code exchange;
    // never for a client whose metadata says it authenticates with a signed assertion.
    const app = credentials?.application;
    if (options.allowPublic && app && app.type === 'oauth' && app.usesPkce && !wantsAssertion) return { application: app, method: 'none' };
    throw await failure(deps, input.meta, credentials ? clientId : null, 'no_credentials', basic);
  }
  const digest = deps.keyring.digest('client-secret', secret);
  let matched: { id: string; lastUsedAt: Date | null } | null = null;
  for (const s of credentials?.secrets ?? []) {
    if (digestsEqual(digest, s.digest)) matched = s;
  }
  if (!credentials || !matched) {
    throw await failure(deps, input.meta, credentials ? clientId : null, credentials ? 'wrong_secret' : 'unknown_client', basic);
  }
  await stampLastUsed(deps, matched);
  return { application: credentials.application, method: presented.method };
}

async function stampLastUsed(deps: ClientAuthDeps, secret: { id: string; lastUsedAt: Date | null }): Promise<void> {
  const now = deps.clock.now();
  if (secret.lastUsedAt !== null && now.getTime() - secret.lastUsedAt.getTime() < TOUCH_INTERVAL_MS) return;
  const write = deps.storage.secrets.touch(secret.id, now, new Date(now.getTime() - TOUCH_INTERVAL_MS));
  if (secret.lastUsedAt === null) {
    // The first stamp is written before the answer; later ones need not hold it up.
    await write;
    return;
  }
  write.catch((err: unknown) => deps.warn(err, 'could not stamp last_used_at'));
}
