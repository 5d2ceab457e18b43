import { OAuthError } from './errors.ts';
import { REDIRECT_URI_MAX, redirectUriProblem, type RedirectUri } from './redirect-uri.ts';
import { parseScopeParam } from './scopes.ts';

/**
 * Metadata of clients nobody registered by hand (issue #10): those that
 * registered themselves (RFC 7591, `dcr`) and those identified by a Client ID
 * Metadata Document (draft-parecki-oauth-client-id-metadata-document, `cimd`).
 * RFC 7591 §2 names, camel-cased.
 */
export interface ClientMetadata {
  readonly source: 'dcr' | 'cimd';
  readonly clientUri: string | null;
  readonly logoUri: string | null;
  readonly tosUri: string | null;
  readonly policyUri: string | null;
  readonly contacts: readonly string[];
  readonly softwareId: string | null;
  readonly softwareVersion: string | null;
  readonly applicationType: 'web' | 'native';
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly tokenEndpointAuthMethod: 'none' | 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';
  /** The scope the client asked for, after the environment's allow-list. */
  readonly scope: string | null;
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] } | null;
  readonly jwksUri: string | null;
}

/** A parsed registration or metadata document: what the application row and the metadata need. */
export interface ParsedClientMetadata {
  readonly clientName: string;
  readonly redirectUris: readonly RedirectUri[];
  /** Application scopes: the requested ones the environment allows (OIDC scopes are always allowed). */
  readonly scopes: readonly string[];
  readonly metadata: ClientMetadata;
}

const OIDC = new Set(['openid', 'profile', 'email', 'offline_access']);
const GRANTS = new Set(['authorization_code', 'refresh_token']);
const MAX_REDIRECT_URIS = 20;
const TEXT_MAX = 512;

const bad = (description: string) => new OAuthError('invalid_client_metadata', description);
const badRedirect = (description: string) => new OAuthError('invalid_redirect_uri', description);

function text(doc: Record<string, unknown>, key: string, max = TEXT_MAX): string | null {
  const v = doc[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > max || /[\u0000-\u001f\u007f]/.test(v) || !v.isWellFormed()) throw bad(`${key} must be a short single-line string.`);
  return v;
}

/** A URL field shown to users (logo, homepage, terms, policy) or fetched (jwks_uri): https only. */
function httpsUrl(doc: Record<string, unknown>, key: string): string | null {
  const v = text(doc, key, 2048);
  if (v === null) return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw bad(`${key} must be an absolute https URL.`);
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') throw bad(`${key} must be an https URL without credentials.`);
  return v;
}

function stringList(doc: Record<string, unknown>, key: string, max: number): string[] | null {
  const v = doc[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length > max || !v.every((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= TEXT_MAX && x.isWellFormed())) {
    throw bad(`${key} must be an array of at most ${max} strings.`);
  }
  return v;
}

export interface MetadataRules {
  readonly source: 'dcr' | 'cimd';
  /** Token endpoint auth methods this kind of client may use. */
  readonly authMethods: readonly ClientMetadata['tokenEndpointAuthMethod'][];
  /** Scopes (besides OIDC's) a dynamic client may ask for: PORTICO_DYNAMIC_CLIENT_SCOPES. */
  readonly allowedScopes: readonly string[];
}

/**
 * Validates client metadata (RFC 7591 §2 for registrations, the CIMD draft
 * §4 for documents): the same redirect-URI policy as `/authorize` and the
 * management API (domain/redirect-uri.ts), https for every other URL,
 * only the code flow, no secret in a document.
 */
export function parseClientMetadata(body: unknown, rules: MetadataRules): ParsedClientMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The metadata must be a JSON object.');
  const doc = body as Record<string, unknown>;
  const uris = doc.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0) throw badRedirect('redirect_uris is required: a non-empty array.');
  if (uris.length > MAX_REDIRECT_URIS) throw badRedirect(`At most ${MAX_REDIRECT_URIS} redirect_uris.`);
  const redirectUris = uris.map((u: unknown, i): RedirectUri => {
    if (typeof u !== 'string' || u.length > REDIRECT_URI_MAX || !u.isWellFormed()) throw badRedirect(`redirect_uris[${i}] must be a string.`);
    const problem = redirectUriProblem(u);
    if (problem !== null) throw badRedirect(`redirect_uris[${i}] is not allowed (${problem.replace(/_/g, ' ')}).`);
    return { uri: u, default: i === 0 };
  });
  if (new Set(redirectUris.map((r) => r.uri)).size !== redirectUris.length) throw badRedirect('redirect_uris holds duplicates.');

  const method = (doc.token_endpoint_auth_method ?? (rules.source === 'dcr' ? 'client_secret_basic' : 'none')) as ClientMetadata['tokenEndpointAuthMethod'];
  if (!rules.authMethods.includes(method)) throw bad(`token_endpoint_auth_method must be one of: ${rules.authMethods.join(', ')}.`);
  const grantTypes = stringList(doc, 'grant_types', 5) ?? ['authorization_code'];
  if (!grantTypes.every((g) => GRANTS.has(g))) throw bad('grant_types may hold only authorization_code and refresh_token.');
  if (!grantTypes.includes('authorization_code')) throw bad('grant_types must include authorization_code.');
  const responseTypes = stringList(doc, 'response_types', 3) ?? ['code'];
  if (!responseTypes.every((r) => r === 'code')) throw bad('response_types may hold only code.');
  const applicationType = doc.application_type ?? 'web';
  if (applicationType !== 'web' && applicationType !== 'native') throw bad('application_type must be web or native.');

  const jwks = doc.jwks;
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys))) throw bad('jwks must be a JWK Set.');
  const jwksUri = httpsUrl(doc, 'jwks_uri');
  if (jwks !== undefined && jwksUri !== null) throw bad('jwks and jwks_uri are mutually exclusive (RFC 7591 §2).');
  if (method === 'private_key_jwt' && jwks === undefined && jwksUri === null) throw bad('private_key_jwt needs jwks or jwks_uri.');

  const requested = doc.scope === undefined || doc.scope === null ? null : typeof doc.scope === 'string' ? parseScopeParam(doc.scope) : null;
  if (doc.scope !== undefined && doc.scope !== null && requested === null) throw bad('scope must be a space-separated list of scope tokens.');
  // The environment decides what dynamic clients may ask for (RFC 7591 §2: the server may replace the value).
  const allowed = new Set([...OIDC, ...rules.allowedScopes]);
  const granted = requested === null ? null : requested.filter((s) => allowed.has(s));
  const clientName = text(doc, 'client_name', 200);
  if (clientName === null) throw bad('client_name is required.');

  return {
    clientName,
    redirectUris,
    scopes: (granted ?? []).filter((s) => !OIDC.has(s)),
    metadata: {
      source: rules.source,
      clientUri: httpsUrl(doc, 'client_uri'),
      logoUri: httpsUrl(doc, 'logo_uri'),
      tosUri: httpsUrl(doc, 'tos_uri'),
      policyUri: httpsUrl(doc, 'policy_uri'),
      contacts: stringList(doc, 'contacts', 10) ?? [],
      softwareId: text(doc, 'software_id'),
      softwareVersion: text(doc, 'software_version'),
      applicationType,
      grantTypes,
      responseTypes,
      tokenEndpointAuthMethod: method,
      scope: granted === null ? null : granted.join(' '),
      jwks: jwks === undefined ? null : (jwks as ClientMetadata['jwks']),
      jwksUri,
    },
  };
}

/**
 * A Client ID Metadata Document URL (CIMD draft §3): https with a path, no
 * userinfo, fragment, or dot segments (`%2e` included), in canonical form so
 * that the exact string compare the draft requires is unambiguous. `http` is
 * accepted only when private networks are (development and tests).
 */
export function isMetadataDocumentUrl(clientId: string, allowHttp: boolean): boolean {
  if (clientId.length > 2048 || !/^https?:\/\//.test(clientId)) return false;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return false;
  if (url.username !== '' || url.password !== '' || url.hash !== '' || clientId.includes('#')) return false;
  if (url.pathname === '/' || url.pathname === '') return false;
  const path = clientId.slice(clientId.indexOf('/', clientId.indexOf('//') + 2));
  if (/(^|\/)(\.|%2e){1,2}(\/|$|\?)/i.test(path) || /%2e/i.test(path)) return false;
  return url.href === clientId;
}
