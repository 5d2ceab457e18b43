import { OAuthError } from '../../domain/errors.ts';
import type { Grant } from '../../domain/authorization.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { User } from '../../domain/user.ts';
import { confirmSignIn, planAccess, signUserTokens, tokenDigest, type ConfirmedSignIn, type UserTokenDeps } from '../tokens/issue.ts';
import type { GrantInput, GrantModule, TokenResponse } from './types.ts';

/** The device grant mints a user's tokens and reads and redeems device authorizations. */
export type DeviceCodeDeps = UserTokenDeps;

/** RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const invalidGrant = (why = 'The device code is invalid.') => new OAuthError('invalid_grant', why);

type Redeemed = { readonly grant: Grant; readonly signIn: ConfirmedSignIn | null };

/** A redeemed device code: the tokens, and whom they sign in (the WorkOS twin answers with the user and organization). */
export interface DeviceSignIn {
  readonly tokens: TokenResponse;
  readonly user: User;
  readonly organizationId: string | null;
}

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4,
 * §3.5), WorkOS "CLI Auth". Every answer but the tokens is a 400:
 * - `authorization_pending` while the user has not decided; `slow_down` when
 *   a poll came sooner than the interval after the previous one, which adds
 *   5 s to the interval from then on (the first poll never is; a client that
 *   then waits the new interval is answered `authorization_pending` again).
 *   slow_down is "a variant of authorization_pending" (§3.5), so only a
 *   pending authorization is throttled: a decided one is answered at once;
 * - `access_denied` once the user declined, `expired_token` past the
 *   lifetime, `invalid_grant` for an unknown code, another client's, or one
 *   already redeemed.
 * Exactly one poll redeems an approved code (one conditional UPDATE, on every
 * node); its tokens are those of the code grant.
 */
export async function redeemDeviceCode({ params, client }: GrantInput, deps: DeviceCodeDeps): Promise<DeviceSignIn> {
  const app = client.application;
  if (app.type !== 'oauth') throw new OAuthError('unauthorized_client', 'This client may not use the device authorization grant.');
  const code = params.get('device_code');
  if (code === undefined) throw new OAuthError('invalid_request', 'device_code is required.');
  if (code.length > 200) throw invalidGrant();
  const digest = tokenDigest(deps, code);
  const now = deps.clock.now();
  const device = await deps.storage.deviceAuthorizations.findByDigest(digest);
  // RFC 8628 §3.4: the device code must have been issued to the authenticated client.
  if (!device || device.clientId !== app.clientId) throw invalidGrant();
  if (device.redeemedAt !== null) throw invalidGrant('The device code was already used.');
  if (device.expiresAt <= now) throw new OAuthError('expired_token', 'The device code has expired; start again on the device.');
  if (device.status === 'denied') throw new OAuthError('access_denied', 'The user declined the request.');
  if (device.status === 'pending') {
    const poll = await deps.storage.deviceAuthorizations.recordPoll(digest, now);
    // Decided between the two reads: the next poll gets the answer.
    if (poll?.tooFast) throw new OAuthError('slow_down', `Polling too often: wait at least ${poll.intervalSeconds} seconds between requests.`);
    throw new OAuthError('authorization_pending', 'The user has not finished signing in on the verification page yet.');
  }

  // Redeeming, the checks and storing the refresh token are one transaction (as the code grant's, issue #12):
  // a failed insert leaves the code unspent for the next poll. A withdrawn authorization still spends it.
  const access = planAccess(deps);
  const redeemed = await deps.storage.transaction(async (tx): Promise<Redeemed> => {
    const approved = await tx.deviceAuthorizations.redeem(digest, app.clientId, now);
    // Lost the race to a concurrent poll (or expired in between): nothing was written.
    if (!approved?.grant) throw invalidGrant('The device code was already used.');
    return { grant: approved.grant, signIn: await confirmSignIn(tx, deps, app, approved.grant, access, deps.ids(ID_PREFIX.bare)) };
  });
  const { grant, signIn } = redeemed;
  if (signIn === null) throw invalidGrant('The authorization was withdrawn.');
  const tokens = await signUserTokens(deps, app, { ...grant, scopes: signIn.scopes }, signIn.scopes, access, { refreshToken: signIn.refresh?.plaintext ?? null, nonce: null, user: signIn.user });
  return { tokens, user: signIn.user, organizationId: grant.organizationId };
}

/** The device grant at `/oauth2/token`: redeemDeviceCode's tokens. */
export const deviceCode: GrantModule<DeviceCodeDeps> = {
  grantType: DEVICE_CODE_GRANT,
  parameters: ['device_code'],
  async handle(input, deps) {
    return (await redeemDeviceCode(input, deps)).tokens;
  },
};
