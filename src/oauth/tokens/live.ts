import type { Application } from '../../domain/application.ts';
import type { Consent } from '../../domain/authorization.ts';
import type { OAuthDeps } from '../deps.ts';
import { verifyJwt, type AccessTokenClaims } from './jwt.ts';

/** What deciding whether an access token is live needs. */
export type LiveTokenDeps = Pick<OAuthDeps, 'keys' | 'config' | 'clock' | 'storage'>;

/** An exchanged token names at most this many tokens it came from (RFC 8693 exchanges of exchanges). */
export const MAX_EXCHANGE_CHAIN = 5;

/** A live access token: its claims, its revocation chain (below) and, for a user token, the consent it stands on. */
export interface LiveAccessToken {
  readonly claims: AccessTokenClaims;
  /** `[jti, ...exchanged_from]`, checked: what a token exchanged from this one names in `exchanged_from`. */
  readonly chain: readonly string[];
  readonly consent: Consent | null;
}

/**
 * The `jti`s whose revocation kills this token: its own, and those of the
 * tokens it was exchanged from (`exchanged_from`, issue #11), so revoking a
 * refresh family or a subject token reaches every token exchanged from it.
 * Null when the chain is not one Portico writes.
 */
function revocationChain(claims: AccessTokenClaims): string[] | null {
  const chain = claims.exchanged_from;
  if (chain === undefined) return [claims.jti];
  if (!Array.isArray(chain) || chain.length > MAX_EXCHANGE_CHAIN || !chain.every((j) => typeof j === 'string')) return null;
  return [claims.jti, ...(chain as string[])];
}

/**
 * Unrevoked (itself and its chain), its application still there, and for a
 * user token its consent still there. `app` is the token's application when
 * the caller already has it.
 */
async function stillLive(deps: LiveTokenDeps, claims: AccessTokenClaims, app: Application | null): Promise<LiveAccessToken | null> {
  const chain = revocationChain(claims);
  if (!chain) return null;
  const [revoked, application, consent] = await Promise.all([
    deps.storage.revocations.anyRevoked(chain),
    // A deleted application's tokens die with it; so do a withdrawn consent's.
    app ?? deps.storage.applications.find(claims.client_id),
    claims.sid === undefined ? null : deps.storage.consents.get(claims.sid),
  ]);
  if (revoked || !application || (claims.sid !== undefined && !consent)) return null;
  return { claims, chain, consent };
}

/**
 * An access token that is ours, unexpired and live (above), that `caller` may
 * see: its own tokens; and for a first-party application (the company's own
 * resource servers, MCP servers), user tokens issued to public clients
 * (WorkOS: "first-party apps can introspect tokens issued to public MCP
 * clients"). Null otherwise, indistinguishably.
 */
export async function liveAccessToken(deps: LiveTokenDeps, token: string, caller: Application): Promise<LiveAccessToken | null> {
  const claims = await verifyJwt(token, deps.keys, deps.config.issuer, deps.clock.now());
  if (!claims) return null;
  if (claims.client_id === caller.clientId) return stillLive(deps, claims, caller);
  if (caller.type !== 'oauth' || !caller.isFirstParty || claims.sid === undefined) return null;
  const owner = await deps.storage.applications.find(claims.client_id);
  if (!owner || owner.type !== 'oauth' || !owner.usesPkce) return null;
  return stillLive(deps, claims, owner);
}

/** A live user access token (it has a consent), whoever it was issued to: what userinfo serves. */
export async function liveUserToken(deps: LiveTokenDeps, token: string): Promise<LiveAccessToken | null> {
  const claims = await verifyJwt(token, deps.keys, deps.config.issuer, deps.clock.now());
  if (!claims || claims.sid === undefined) return null;
  return stillLive(deps, claims, null);
}
