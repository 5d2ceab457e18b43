import { SCOPE_TOKEN } from '../domain/validate.ts';
import { fail, onOff, seconds, type Setting } from './schema.ts';

/** Issue #10: clients nobody registered by hand, and the outbound requests they cause. */
export const CLIENT_SETTINGS = [
  {
    key: 'clientIdMetadataDocuments',
    env: ['PORTICO_CLIENT_ID_METADATA_DOCUMENTS'],
    description:
      'Client ID Metadata Documents (draft-parecki-oauth-client-id-metadata-document, what MCP clients use): a `client_id` that is an https URL is resolved by fetching the JSON it points to. Discovery then says `client_id_metadata_document_supported: true`. `on` or `off`.',
    defaultText: '`off`',
    parse: (raw) => onOff('PORTICO_CLIENT_ID_METADATA_DOCUMENTS', raw, false),
  } satisfies Setting<'clientIdMetadataDocuments'>,
  {
    key: 'dynamicClientRegistration',
    env: ['PORTICO_DYNAMIC_CLIENT_REGISTRATION'],
    description: 'Open dynamic client registration (RFC 7591, managed with RFC 7592) at `POST /oauth2/register`, advertised as `registration_endpoint`. `on` or `off`.',
    defaultText: '`off`',
    parse: (raw) => onOff('PORTICO_DYNAMIC_CLIENT_REGISTRATION', raw, false),
  } satisfies Setting<'dynamicClientRegistration'>,
  {
    key: 'dynamicClientScopes',
    env: ['PORTICO_DYNAMIC_CLIENT_SCOPES'],
    description:
      'Space- or comma-separated scopes (besides `openid profile email offline_access`) that dynamically registered and metadata-document clients may ask for, e.g. the scopes your MCP server advertises. Anything else they ask for is dropped at registration and `invalid_scope` at `/authorize`.',
    defaultText: 'none',
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return [];
      const scopes = raw.split(/[\s,]+/).filter((s) => s !== '');
      for (const s of scopes) if (!SCOPE_TOKEN.test(s) || s.length > 200) fail('PORTICO_DYNAMIC_CLIENT_SCOPES', 'must hold scope tokens (RFC 6749 §3.3)', s);
      return [...new Set(scopes)];
    },
  } satisfies Setting<'dynamicClientScopes'>,
  {
    key: 'registrationRateLimit',
    env: ['PORTICO_REGISTRATION_RATE_LIMIT'],
    description: 'New dynamic clients (registrations, and metadata documents seen for the first time) allowed per client address (IPv6: per /64) per minute; past it `429`. Counted in the database, so shared by every node.',
    defaultText: '`10`',
    parse(raw) {
      if (raw === undefined) return 10;
      if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) fail('PORTICO_REGISTRATION_RATE_LIMIT', 'must be an integer between 1 and 999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'registrationRateLimit'>,
  {
    key: 'registrationUnusedTtl',
    env: ['PORTICO_REGISTRATION_UNUSED_TTL_SECONDS'],
    description:
      'Seconds after which housekeeping deletes a dynamic client to which no token was ever issued (MCP clients often register twice per connection). A client that obtained a token is never deleted silently.',
    defaultText: '`86400` (1 day)',
    parse: (raw) => seconds('PORTICO_REGISTRATION_UNUSED_TTL_SECONDS', raw, 86_400, 60, 31_536_000),
  } satisfies Setting<'registrationUnusedTtl'>,
  {
    key: 'outbound',
    env: ['PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS'],
    description:
      'Outbound requests (metadata documents, `jwks_uri`, webhook deliveries): https only, never to special-use addresses (RFC 6890: loopback, private, link-local, metadata services), checked after DNS resolution and on the connected socket. `on` lifts both rules for development and tests (a warning is printed at start; never in production). `PORTICO_OUTBOUND_CA_FILE` names a PEM file of extra CA certificates to trust for outbound TLS (a private PKI, or a test CA).',
    defaultText: '`off`, no extra CA',
    parse(raw, env) {
      const caFile = env.PORTICO_OUTBOUND_CA_FILE === undefined || env.PORTICO_OUTBOUND_CA_FILE === '' ? null : env.PORTICO_OUTBOUND_CA_FILE;
      return { allowPrivateNetworks: onOff('PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS', raw, false), caFile };
    },
  } satisfies Setting<'outbound'>,
] as const;
