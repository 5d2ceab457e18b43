import type { Application } from '../../domain/application.ts';
import { addressKey } from '../../domain/client-address.ts';
import { MAX_SECRETS_PER_APPLICATION, generateClientSecret, secretHint } from '../../domain/client-secret.ts';
import { parseClientMetadata, type ClientMetadata } from '../../domain/client-metadata.ts';
import { OAuthError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { digestsEqual } from '../../domain/keyring.ts';
import { randomToken } from '../../domain/random.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import type { OAuthDeps } from '../deps.ts';

export type RegistrationDeps = Pick<OAuthDeps, 'config' | 'storage' | 'clock' | 'ids' | 'random' | 'keyring'>;

const RATE_WINDOW_MS = 60_000;

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response, without a single null (security bar item 31). */
export function clientInformation(deps: Pick<OAuthDeps, 'config'>, app: Application, extra: { secret?: string; registrationAccessToken?: string } = {}) {
  const m = app.dynamic!.metadata;
  const optional = (key: string, value: string | null | readonly string[]) => (value === null || (Array.isArray(value) && value.length === 0) ? {} : { [key]: value });
  const confidential = m.tokenEndpointAuthMethod === 'client_secret_basic' || m.tokenEndpointAuthMethod === 'client_secret_post';
  return {
    client_id: app.clientId,
    client_id_issued_at: Math.floor(app.createdAt.getTime() / 1000),
    ...(extra.secret !== undefined && { client_secret: extra.secret }),
    // RFC 7591 §3.2.1: REQUIRED when a secret was issued; 0 = it does not expire.
    ...(confidential && { client_secret_expires_at: 0 }),
    ...(extra.registrationAccessToken !== undefined && { registration_access_token: extra.registrationAccessToken }),
    registration_client_uri: `${deps.config.issuer}/oauth2/register/${encodeURIComponent(app.clientId)}`,
    client_name: app.name,
    redirect_uris: app.redirectUris.map((r) => r.uri),
    grant_types: m.grantTypes,
    response_types: m.responseTypes,
    token_endpoint_auth_method: m.tokenEndpointAuthMethod,
    application_type: m.applicationType,
    ...optional('scope', m.scope),
    ...optional('client_uri', m.clientUri),
    ...optional('logo_uri', m.logoUri),
    ...optional('tos_uri', m.tosUri),
    ...optional('policy_uri', m.policyUri),
    ...optional('contacts', m.contacts),
    ...optional('software_id', m.softwareId),
    ...optional('software_version', m.softwareVersion),
  };
}

function parseRegistration(deps: RegistrationDeps, body: unknown) {
  // A body-supplied client_id or client_secret is ignored: the server assigns both (security bar item 32).
  return parseClientMetadata(body, { source: 'dcr', authMethods: ['none', 'client_secret_post', 'client_secret_basic'], allowedScopes: deps.config.dynamicClientScopes });
}

const fields = (parsed: ReturnType<typeof parseRegistration>) => ({
  name: parsed.clientName,
  scopes: parsed.scopes,
  redirectUris: parsed.redirectUris,
  // Public clients must use PKCE (OAuth 2.1 §7.5.1); confidential ones may.
  usesPkce: parsed.metadata.tokenEndpointAuthMethod === 'none',
  metadata: parsed.metadata,
});

/**
 * `POST /oauth2/register` (RFC 7591 §3): a new third-party public or
 * confidential client with no organization, a registration access token for
 * RFC 7592, and a client secret only for `client_secret_*` clients (a public
 * client never gets one: Claude Desktop refuses a secret it did not ask for).
 * At most PORTICO_REGISTRATION_RATE_LIMIT per client address per minute.
 */
export async function registerClient(deps: RegistrationDeps, body: unknown, meta: RequestMeta) {
  const parsed = parseRegistration(deps, body);
  const now = deps.clock.now();
  const registrationAccessToken = randomToken(deps.random);
  const secret = parsed.metadata.tokenEndpointAuthMethod === 'none' ? undefined : generateClientSecret(deps.random);
  const app = await deps.storage.transaction(async (tx) => {
    const created = await tx.dynamicClients.register(
      {
        ...fields(parsed),
        id: deps.ids(ID_PREFIX.application),
        clientId: deps.ids(ID_PREFIX.clientId),
        metadataExpiresAt: null,
        registrationTokenDigest: deps.keyring.digest('registration', registrationAccessToken).toString('hex'),
        clientAddress: addressKey(meta.ip),
        at: now,
      },
      { since: new Date(now.getTime() - RATE_WINDOW_MS), perAddress: deps.config.registrationRateLimit },
    );
    if (created.outcome === 'address_limited') {
      throw new OAuthError('slow_down', 'Too many registrations from this address. Retry later.', { status: 429, headers: { 'retry-after': String(RATE_WINDOW_MS / 1000) } });
    }
    if (secret !== undefined) {
      await tx.secrets.createCapped({ id: deps.ids(ID_PREFIX.secret), applicationId: created.application.id, digest: deps.keyring.digest('client-secret', secret), hint: secretHint(secret), at: now }, MAX_SECRETS_PER_APPLICATION);
    }
    return created.application;
  });
  return clientInformation(deps, app, { ...(secret !== undefined && { secret }), registrationAccessToken });
}

/**
 * RFC 7592 §2: the registration access token authorises reading, updating and
 * deleting one client. An unknown client and a wrong token look the same (401).
 */
export async function registeredClient(deps: RegistrationDeps, clientId: string, bearer: string | null): Promise<Application> {
  const refused = () => new OAuthError('invalid_token', 'The registration access token is not valid for this client.', { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  if (bearer === null || clientId.length > 255) throw refused();
  const stored = await deps.storage.dynamicClients.registrationTokenDigest(clientId);
  const given = deps.keyring.digest('registration', bearer);
  if (stored === null || !digestsEqual(given, Buffer.from(stored, 'hex'))) throw refused();
  const app = await deps.storage.applications.find(clientId);
  if (!app || app.clientId !== clientId || app.dynamic === null) throw refused();
  return app;
}

/** RFC 7592 §2.2: the client's metadata replaced by the request's (client_id must match; the secret stays). */
export async function updateRegistration(deps: RegistrationDeps, app: Application, body: unknown) {
  const givenId = (body as { client_id?: unknown } | null)?.client_id;
  if (givenId !== app.clientId) throw new OAuthError('invalid_client_metadata', 'client_id must be the registered one.');
  const parsed = parseRegistration(deps, body);
  if (parsed.metadata.tokenEndpointAuthMethod !== app.dynamic!.metadata.tokenEndpointAuthMethod) {
    throw new OAuthError('invalid_client_metadata', 'token_endpoint_auth_method cannot change; register a new client instead.');
  }
  const updated = await deps.storage.dynamicClients.update(app.clientId, fields(parsed), null, deps.clock.now());
  if (!updated) throw new OAuthError('invalid_client_metadata', 'The client no longer exists.');
  return clientInformation(deps, updated);
}

export type { ClientMetadata };
