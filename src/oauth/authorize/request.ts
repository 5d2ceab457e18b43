import { grantableScopes, type Application } from '../../domain/application.ts';
import { OIDC_SCOPES, type AuthorizationRequest } from '../../domain/authorization.ts';
import { CODE_CHALLENGE } from '../../domain/pkce.ts';
import { redirectUriMatches } from '../../domain/redirect-uri.ts';
import { configuredResource } from '../../domain/resource.ts';
import { unknownResource } from '../audience.ts';
import { parseScopeParam } from '../../domain/scopes.ts';
import type { OAuthDeps } from '../deps.ts';
import { OAuthError } from '../../domain/errors.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { invalidQueryParameters } from '../../http/request-errors.ts';
import { findClient } from '../clients/resolve.ts';
import { verifyIdTokenHint } from '../tokens/jwt.ts';

/** Errors that may not redirect: the client or its redirect URI is not established (RFC 6749 §4.1.2.1). */
export interface PageError {
  readonly kind: 'page';
  readonly status: number;
  readonly title: string;
  readonly message: string;
}

/** Errors returned to the (verified) redirect URI with `error`, `error_description`, `state`, `iss`. */
export interface RedirectError {
  readonly kind: 'redirect';
  readonly redirectUri: string;
  readonly error: string;
  readonly description: string;
  readonly state: string | null;
}

export type AuthorizeValidation = PageError | RedirectError | { readonly kind: 'ok'; readonly app: Application; readonly request: AuthorizationRequest };

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

type Query = Record<string, string | string[] | undefined>;

/** Parameters this endpoint reads: only these are named back in error descriptions. */
const KNOWN = new Set(['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'resource', 'prompt', 'request', 'request_uri', 'max_age', 'login_hint', 'id_token_hint']);

/** RFC 6749 §3.1: parameters sent without a value are treated as if they were omitted. */
function withoutEmpty(query: Query): Query {
  // No prototype: a parameter named __proto__ must be a key like any other (and be refused when repeated).
  const out: Query = Object.create(null) as Query;
  for (const [k, v] of Object.entries(query)) {
    const values = ([] as string[]).concat(v ?? []).filter((x) => x !== '');
    if (values.length > 0) out[k] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** The single value of a parameter; `repeated` when it appeared more than once (RFC 6749 §3.1). */
function param(query: Query, name: string): { value: string | undefined; repeated: boolean } {
  const v = query[name];
  if (Array.isArray(v)) return { value: undefined, repeated: true };
  return { value: v === '' ? undefined : v, repeated: false };
}

/**
 * Validates `GET /oauth2/authorize` in the order RFC 6749 §4.1.2.1 requires:
 * client and redirect URI first (failures show a page), everything else as an
 * error redirect to the verified URI.
 */
export async function validateAuthorizeRequest(deps: Pick<OAuthDeps, 'storage' | 'keys' | 'config' | 'clock' | 'ids' | 'outbound' | 'metrics'>, rawQuery: Query, meta: RequestMeta): Promise<AuthorizeValidation> {
  const query = withoutEmpty(rawQuery);
  // Issue #8: a parameter this endpoint reads whose bytes are not UTF-8 is refused, never stored altered.
  const undecodable = [...invalidQueryParameters(rawQuery)].filter((name) => KNOWN.has(name));
  const page = (title: string, message: string, status = 400): PageError => ({ kind: 'page', status, title, message });
  if (undecodable.includes('client_id') || undecodable.includes('redirect_uri')) return page('Invalid request', 'client_id or redirect_uri is not valid UTF-8.');
  const clientId = param(query, 'client_id');
  if (clientId.repeated || clientId.value === undefined) return page('Invalid request', 'The request is missing a valid client_id.');
  let app;
  try {
    app = await findClient(deps, clientId.value, meta);
  } catch (err) {
    // A metadata document that cannot be used (issue #10): a page, never a redirect to a URI it named.
    if (!(err instanceof OAuthError)) throw err;
    if (err.status === 429) return page('Too many new applications', 'Too many new applications were seen from here in the last minute. Wait a minute and try again.', 429);
    return page('This application cannot be used', `Its client metadata document was refused: ${err.message}`);
  }
  if (!app) return page('Unknown application', 'No application is registered with this client_id.');
  if (app.type !== 'oauth') return page('Not allowed', 'This application cannot sign users in.');

  const redirect = param(query, 'redirect_uri');
  if (redirect.repeated) return page('Invalid redirect URI', 'redirect_uri appears more than once.');
  let redirectUri: string;
  if (redirect.value === undefined) {
    // Optional only when exactly one is registered (OAuth 2.1 §4.1.1).
    if (app.redirectUris.length !== 1) return page('Invalid redirect URI', 'The request is missing redirect_uri.');
    redirectUri = app.redirectUris[0]!.uri;
  } else {
    if (!app.redirectUris.some((r) => redirectUriMatches(r.uri, redirect.value!))) {
      return page('Invalid redirect URI', 'The redirect_uri does not match any URI registered for this application.');
    }
    redirectUri = redirect.value;
  }

  const stateParam = param(query, 'state');
  const state = stateParam.repeated || undecodable.includes('state') || (stateParam.value !== undefined && stateParam.value.length > 2048) ? null : (stateParam.value ?? null);
  const fail = (error: string, description: string): RedirectError => ({ kind: 'redirect', redirectUri, error, description, state });

  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value) && name !== 'resource') return fail('invalid_request', KNOWN.has(name) ? `The ${name} parameter is repeated.` : 'A parameter is repeated.');
  }
  if (undecodable.length > 0) return fail('invalid_request', `The ${undecodable[0]} parameter is not valid UTF-8.`);
  if (stateParam.value !== undefined && stateParam.value.length > 2048) return fail('invalid_request', 'state is too long.');
  if (query.request !== undefined) return fail('request_not_supported', 'Request objects are not supported.');
  if (query.request_uri !== undefined) return fail('request_uri_not_supported', 'request_uri is not supported.');
  const responseType = param(query, 'response_type').value;
  if (responseType === undefined) return fail('invalid_request', 'response_type is required.');
  // Only the code flow: no implicit, no hybrid (RFC 9700 §2.1.2).
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
  const responseMode = param(query, 'response_mode').value;
  if (responseMode !== undefined && responseMode !== 'query') return fail('invalid_request', 'Only response_mode=query is supported.');

  const scopeParam = param(query, 'scope').value;
  if (scopeParam === undefined) return fail('invalid_scope', 'scope is required.');
  const scopes = parseScopeParam(scopeParam);
  const allowed = new Set<string>([...OIDC_SCOPES, ...grantableScopes(app, deps.config.dynamicClientScopes)]);
  if (scopes === null || scopes.length === 0 || !scopes.every((s) => allowed.has(s))) {
    return fail('invalid_scope', 'The requested scope is unknown or not granted to this application.');
  }

  // PKCE (RFC 7636, RFC 9700 §2.1.1): S256 only. A challenge without a method would mean "plain".
  const challenge = param(query, 'code_challenge').value;
  const method = param(query, 'code_challenge_method').value;
  if (challenge === undefined) {
    if (method !== undefined) return fail('invalid_request', 'code_challenge_method without code_challenge.');
    if (app.usesPkce) return fail('invalid_request', 'This application must use PKCE: send code_challenge with code_challenge_method=S256.');
  } else {
    if (method !== 'S256') return fail('invalid_request', 'Only code_challenge_method=S256 is supported.');
    if (!CODE_CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge must be the 43-character base64url SHA-256 of the verifier.');
  }

  const resources = ([] as string[]).concat(query.resource ?? []);
  let resource: string | null = null;
  if (resources.length > 1) return fail('invalid_target', 'Request one resource per authorization.');
  if (resources.length === 1) {
    resource = configuredResource(resources[0]!, deps.config.resources);
    if (resource === null) return fail('invalid_target', unknownResource(resources[0]!));
  }

  const promptParam = param(query, 'prompt').value;
  const prompt = promptParam === undefined ? [] : promptParam.split(' ').filter((p) => p !== '');
  if (!prompt.every((p) => PROMPTS.has(p)) || (prompt.includes('none') && prompt.length > 1)) return fail('invalid_request', 'Unsupported prompt value.');

  const nonce = param(query, 'nonce').value ?? null;
  // Control characters (NUL above all) have no place in a nonce, and PostgreSQL cannot store NUL.
  if (nonce !== null && (nonce.length > 512 || /[\u0000-\u001f\u007f]/.test(nonce))) return fail('invalid_request', 'nonce is too long or holds control characters.');

  // OIDC Core §3.1.2.1: max_age in seconds; 0 asks for a fresh sign-in like prompt=login.
  const maxAgeParam = param(query, 'max_age').value;
  if (maxAgeParam !== undefined && !/^\d{1,9}$/.test(maxAgeParam)) return fail('invalid_request', 'max_age must be a whole number of seconds.');
  const maxAge = maxAgeParam === undefined ? null : Number(maxAgeParam);

  const loginHint = param(query, 'login_hint').value ?? null;
  if (loginHint !== null && (loginHint.length > 256 || /[\u0000-\u001f\u007f]/.test(loginHint))) return fail('invalid_request', 'login_hint is too long or holds control characters.');

  // OIDC Core §3.1.2.1: an ID token we issued to this client, naming the user expected to be signed in.
  const idTokenHint = param(query, 'id_token_hint').value;
  let hintedUserId: string | null = null;
  if (idTokenHint !== undefined) {
    const hint = await verifyIdTokenHint(idTokenHint, deps.keys, deps.config.issuer);
    if (!hint || hint.aud !== app.clientId) return fail('invalid_request', 'id_token_hint is not an ID token this server issued to this client.');
    hintedUserId = hint.sub;
  }

  return {
    kind: 'ok',
    app,
    request: {
      clientId: app.clientId,
      redirectUri,
      redirectUriGiven: redirect.value !== undefined,
      scopes,
      state,
      nonce,
      codeChallenge: challenge ?? null,
      resource,
      prompt,
      maxAge,
      loginHint,
      hintedUserId,
      deviceAuthorizationId: null,
    },
  };
}
