import type { Application } from '../../domain/application.ts';
import { OIDC_SCOPES } from '../../domain/authorization.ts';
import { addressKey } from '../../domain/client-address.ts';
import { DEFAULT_DEVICE_SCOPES, DEVICE_CODE_TTL_SECONDS, DEVICE_POLL_INTERVAL_SECONDS, displayUserCode, newUserCode } from '../../domain/device.ts';
import { OAuthError, UniqueViolationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { randomToken } from '../../domain/random.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { canonicalResource } from '../../domain/resource.ts';
import { parseScopeParam } from '../../domain/scopes.ts';
import { PER_CLIENT_FACTOR } from '../authorize/flow.ts';
import type { OAuthDeps } from '../deps.ts';
import { tokenDigest } from '../tokens/issue.ts';

/** What starting a device authorization needs. */
export type DeviceStartDeps = Pick<OAuthDeps, 'config' | 'storage' | 'keyring' | 'clock' | 'ids' | 'random' | 'metrics'>;

/** RFC 8628 §3.2 device authorization response (the WorkOS `DeviceAuthorizationResponse`). */
export interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

/** What a device authorization request asks for, as plain values. */
export interface DeviceRequest {
  /** The `scope` parameter; undefined: the AuthKit session scopes (DEFAULT_DEVICE_SCOPES). */
  readonly scope: string | undefined;
  /** Every `resource` parameter (RFC 8707). */
  readonly resources: readonly string[];
}

const WINDOW_MS = 60_000;

/** The digest a user code is looked up under: keyed, so the database alone cannot test guesses. */
export function userCodeDigest(deps: Pick<OAuthDeps, 'keyring'>, code: string): string {
  return deps.keyring.digest('token', `user-code\u0000${code}`).toString('hex');
}

/** Scope and resource as at /oauth2/authorize: the app's scopes plus the OIDC ones; one known resource. */
function validate(deps: Pick<OAuthDeps, 'config'>, app: Application, req: DeviceRequest): { scopes: readonly string[]; resource: string | null } {
  let scopes = DEFAULT_DEVICE_SCOPES;
  if (req.scope !== undefined) {
    const parsed = parseScopeParam(req.scope);
    const allowed = new Set<string>([...OIDC_SCOPES, ...app.scopes]);
    if (parsed === null || parsed.length === 0 || !parsed.every((s) => allowed.has(s))) throw new OAuthError('invalid_scope', 'The requested scope is unknown or not granted to this application.');
    scopes = parsed;
  }
  if (req.resources.length > 1) throw new OAuthError('invalid_target', 'Request one resource per authorization.');
  let resource: string | null = null;
  if (req.resources.length === 1) {
    resource = canonicalResource(req.resources[0]!);
    if (resource === null || !deps.config.resources.includes(resource)) throw new OAuthError('invalid_target', 'The requested resource is not known to this server.');
  }
  return { scopes, resource };
}

/**
 * Starts a device authorization (RFC 8628 §3.1-3.2) for an OAuth application,
 * already authenticated (or identified, for a public client). Every OAuth app
 * may: the user always confirms on a page naming the app and showing the code,
 * and gets no more than the app's scopes. The device code is 256 CSPRNG bits,
 * the user code 8 letters; both are stored only as keyed digests. Rows are
 * bounded per address and per application per minute (issue #7), like
 * authorizations (PORTICO_AUTHORIZE_RATE_LIMIT).
 */
export async function startDeviceAuthorization(deps: DeviceStartDeps, app: Application, req: DeviceRequest, meta: RequestMeta): Promise<DeviceAuthorizationResponse> {
  if (app.type !== 'oauth') throw new OAuthError('unauthorized_client', 'This client may not use the device authorization grant.');
  // Nobody could finish it: refuse before anything is stored (as /oauth2/authorize does). WorkOS answers
  // this case (the feature is off) with 403 access_denied.
  if (deps.config.loginUrl === null && !deps.config.devLogin.enabled) {
    throw new OAuthError('access_denied', 'Device sign-in is not enabled: this server has no login page (PORTICO_LOGIN_URL) and the development login is off.', { status: 403 });
  }
  const { scopes, resource } = validate(deps, app, req);
  const now = deps.clock.now();
  const deviceCode = randomToken(deps.random);
  const limits = { since: new Date(now.getTime() - WINDOW_MS), perAddress: deps.config.authorizeRateLimit, perApplication: deps.config.authorizeRateLimit * PER_CLIENT_FACTOR };
  // 20^8 codes: a collision with a live one is rare; drawing again settles it.
  for (let attempt = 0; ; attempt++) {
    const userCode = newUserCode(deps.random);
    const id = deps.ids(ID_PREFIX.bare);
    let created;
    try {
      created = await deps.storage.deviceAuthorizations.create(
        {
          id,
          digest: tokenDigest(deps, deviceCode),
          userCodeDigest: userCodeDigest(deps, userCode),
          userCodeSealed: deps.keyring.seal('token', Buffer.from(userCode), `user-code:${id}`),
          applicationId: app.id,
          clientId: app.clientId,
          scopes,
          resource,
          clientAddress: addressKey(meta.ip),
          at: now,
          expiresAt: new Date(now.getTime() + DEVICE_CODE_TTL_SECONDS * 1000),
          intervalSeconds: DEVICE_POLL_INTERVAL_SECONDS,
        },
        limits,
      );
    } catch (err) {
      if (err instanceof UniqueViolationError && err.column === 'user_code_digest' && attempt < 3) continue;
      throw err;
    }
    if (created !== 'created') {
      deps.metrics.inc('portico_authorize_throttled_total', { limit: created === 'address_limited' ? 'device_address' : 'device_client' });
      throw new OAuthError('slow_down', 'Too many device authorizations were started in the last minute. Retry later.', { status: 429, headers: { 'retry-after': String(WINDOW_MS / 1000) } });
    }
    const uri = `${deps.config.issuer}/device`;
    const shown = displayUserCode(userCode);
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: uri,
      verification_uri_complete: `${uri}?user_code=${shown}`,
      expires_in: DEVICE_CODE_TTL_SECONDS,
      interval: DEVICE_POLL_INTERVAL_SECONDS,
    };
  }
}

/** The user code of a device authorization, for the consent page (RFC 8628 §5.4: the user compares it with the device). */
export function openUserCode(deps: Pick<OAuthDeps, 'keyring'>, device: { readonly id: string; readonly userCodeSealed: Buffer }): string {
  return displayUserCode(deps.keyring.open('token', device.userCodeSealed, `user-code:${device.id}`).toString());
}
