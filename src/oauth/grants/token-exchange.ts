import { OAuthError } from '../../domain/errors.ts';
import { canonicalResource } from '../../domain/resource.ts';
import { isSubset, parseScopeParam } from '../../domain/scopes.ts';
import type { OAuthDeps } from '../deps.ts';
import { ACCESS_TOKEN_TYPE, signExchangedAccessToken, type TokenDeps } from '../tokens/issue.ts';
import { liveAccessToken, MAX_EXCHANGE_CHAIN } from '../tokens/live.ts';
import type { GrantModule } from './types.ts';

/** Token exchange signs one token and reads live tokens, consents and memberships. */
export type TokenExchangeDeps = Pick<TokenDeps, 'config' | 'clock' | 'ids' | 'keys'> & Pick<OAuthDeps, 'storage'>;

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * The target of the new token: `resource` (RFC 8707), or `audience` naming
 * the same thing (RFC 8693 §2.1), one of PORTICO_RESOURCES. Required: without
 * it the token would get the environment's client ID as `aud`, which every
 * service of the environment accepts, a wider audience than any subject token
 * aimed at one API.
 */
function target(deps: Pick<OAuthDeps, 'config'>, resources: readonly string[], audiences: readonly string[]): string {
  const named = [...resources, ...audiences];
  if (named.length === 0) throw new OAuthError('invalid_request', 'resource is required: name the API the new token is for.');
  const canonical = [...new Set(named.map(canonicalResource))];
  if (resources.length > 1 || audiences.length > 1 || canonical.length > 1) throw new OAuthError('invalid_target', 'Request one target (resource) per token.');
  const only = canonical[0];
  if (only === null || only === undefined || !deps.config.resources.includes(only)) throw new OAuthError('invalid_target', 'The requested resource is not known to this server.');
  return only;
}

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693),
 * WorkOS Connect token exchange: an authenticated first-party application
 * (an MCP server, an agent) trades a user's access token for one aimed at
 * another of the company's APIs. The subject token must be a live Portico
 * user access token the caller may see (its own, or one issued to a public
 * client: tokens/live.ts). The new token keeps the user, organization and
 * consent (so withdrawing the consent kills it), names the caller in `act`,
 * may narrow but never widen the scope, and never outlives the subject token.
 * No refresh token: one would outlive the subject.
 */
export const tokenExchange: GrantModule<TokenExchangeDeps> = {
  grantType: TOKEN_EXCHANGE_GRANT,
  parameters: ['subject_token', 'subject_token_type', 'resource', 'audience', 'scope', 'requested_token_type', 'actor_token', 'actor_token_type'],
  async handle({ params, client }, deps) {
    const app = client.application;
    if (app.type !== 'oauth' || !app.isFirstParty || client.method === 'none') {
      throw new OAuthError('unauthorized_client', 'Only authenticated first-party applications may exchange tokens.');
    }
    const subjectToken = params.get('subject_token');
    const subjectType = params.get('subject_token_type');
    if (subjectToken === undefined || subjectType === undefined) throw new OAuthError('invalid_request', 'subject_token and subject_token_type are required.');
    // RFC 8693 §2.2.2: a subject token type the server does not exchange.
    if (subjectType !== ACCESS_TOKEN_TYPE) throw new OAuthError('unsupported_token_type', `subject_token_type must be ${ACCESS_TOKEN_TYPE}.`);
    // The exchanging client is the actor (act.sub); a separate actor token would name someone else.
    if (params.get('actor_token') !== undefined || params.get('actor_token_type') !== undefined) throw new OAuthError('invalid_request', 'actor_token is not supported: the authenticated client is the actor.');
    const requested = params.get('requested_token_type');
    if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) throw new OAuthError('invalid_request', `requested_token_type must be ${ACCESS_TOKEN_TYPE}.`);
    const aud = target(deps, params.all('resource'), params.all('audience'));

    const live = subjectToken.length <= 16_384 ? await liveAccessToken(deps, subjectToken, app) : null;
    // An M2M token has no user to act for; an unknown, expired, revoked or other-client token is not exchangeable.
    if (!live || live.consent === null) throw new OAuthError('invalid_grant', 'The subject token is not an active user access token this client may exchange.');
    const subject = live.claims;
    // The new token's exchanged_from is the subject's chain, which must stay within MAX_EXCHANGE_CHAIN.
    if (live.chain.length > MAX_EXCHANGE_CHAIN) throw new OAuthError('invalid_grant', 'The subject token was exchanged too many times already.');
    if (subject.org_id !== undefined && !(await deps.storage.memberships.exists(subject.sub, subject.org_id))) {
      throw new OAuthError('invalid_grant', 'The user no longer belongs to the organization of the subject token.');
    }

    const granted = subject.scope.split(' ').filter((s) => s !== '');
    let scopes = granted;
    const asked = params.get('scope');
    if (asked !== undefined) {
      const parsed = parseScopeParam(asked);
      if (parsed === null || parsed.length === 0 || !isSubset(parsed, granted)) throw new OAuthError('invalid_scope', 'The requested scope exceeds the subject token.');
      scopes = parsed;
    }
    // The consent-option claims the user chose travel with their delegation.
    const carried = Object.fromEntries(Object.keys(live.consent.claims).filter((k) => k in subject).map((k) => [k, subject[k]]));
    return signExchangedAccessToken(deps, app, live, carried, { aud, scopes });
  },
};
