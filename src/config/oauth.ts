import { canonicalResource } from '../domain/resource.ts';
import { SIGNING_ALGS } from '../domain/signing-key.ts';
import { fail, seconds, type Setting } from './schema.ts';

/** Tokens, keys, resources and the failure throttle. */
export const OAUTH_SETTINGS = [
  {
    key: 'signingAlg',
    env: ['PORTICO_SIGNING_ALG'],
    description: 'Algorithm of new signing keys: `RS256` (what WorkOS issues), `ES256` or `EdDSA` (Ed25519). Changing it adds a key of the new kind, published before it signs.',
    defaultText: '`RS256`',
    parse(raw) {
      if (raw === undefined) return 'RS256';
      const alg = SIGNING_ALGS.find((a) => a === raw);
      if (!alg) fail('PORTICO_SIGNING_ALG', `must be one of ${SIGNING_ALGS.join(', ')}`, raw);
      return alg;
    },
  } satisfies Setting<'signingAlg'>,
  {
    key: 'm2mTokenTtl',
    env: ['PORTICO_M2M_TOKEN_TTL'],
    description: 'Lifetime in seconds of `client_credentials` access tokens (`expires_in`, and `exp - iat` in the JWT). 60 to 86400.',
    defaultText: '`3600`',
    parse: (raw) => seconds('PORTICO_M2M_TOKEN_TTL', raw, 3600, 60, 86_400),
  } satisfies Setting<'m2mTokenTtl'>,
  {
    key: 'jwksMaxAge',
    env: ['PORTICO_JWKS_MAX_AGE'],
    description: '`Cache-Control: max-age` of `/oauth2/jwks`, in seconds.',
    defaultText: '`300`',
    parse: (raw) => seconds('PORTICO_JWKS_MAX_AGE', raw, 300, 0, 86_400),
  } satisfies Setting<'jwksMaxAge'>,
  {
    key: 'keyPublishDelay',
    env: ['PORTICO_KEY_PUBLISH_DELAY'],
    description: 'Seconds between `portico keys rotate` publishing a new key in the JWKS and that key signing tokens. Keep it above the JWKS max-age so verifiers have the key before they meet it.',
    defaultText: '`600`',
    parse: (raw) => seconds('PORTICO_KEY_PUBLISH_DELAY', raw, 600, 1, 7 * 86_400),
  } satisfies Setting<'keyPublishDelay'>,
  {
    key: 'resources',
    env: ['PORTICO_RESOURCES'],
    description: 'Comma-separated RFC 8707 resource indicators (absolute URIs) a token may be requested for with `resource`; the token `aud` is then that resource. Anything else is `invalid_target`.',
    defaultText: 'none',
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return [];
      return raw.split(',').map((r) => {
        const c = canonicalResource(r.trim());
        if (c === null) fail('PORTICO_RESOURCES', 'must hold absolute http(s) URIs without fragment', r.trim());
        return c;
      });
    },
  } satisfies Setting<'resources'>,
  {
    key: 'clientId',
    env: ['PORTICO_CLIENT_ID'],
    description: "The environment's client ID: the `aud` of access tokens requested without a `resource`. Generated once and stored in the database when unset.",
    defaultText: 'generated',
    parse(raw) {
      if (raw === undefined || raw === '') return null;
      if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(raw)) fail('PORTICO_CLIENT_ID', 'must be 1-200 characters of [A-Za-z0-9_.:-]', raw);
      return raw;
    },
  } satisfies Setting<'clientId'>,
  {
    key: 'authFailureLimit',
    env: ['PORTICO_AUTH_FAILURE_LIMIT'],
    description: 'Failed client authentications allowed per `client_id` per minute before further attempts get `429` with `Retry-After`; a source address may fail five times as often. Counted in the database, so shared by every node.',
    defaultText: '`20`',
    parse(raw) {
      if (raw === undefined) return 20;
      if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) fail('PORTICO_AUTH_FAILURE_LIMIT', 'must be an integer between 1 and 999999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'authFailureLimit'>,
  {
    key: 'accessTokenTtl',
    env: ['PORTICO_ACCESS_TOKEN_TTL'],
    description: 'Lifetime in seconds of access tokens issued to users (authorization code and refresh grants). WorkOS issues 300.',
    defaultText: '`300`',
    parse: (raw) => seconds('PORTICO_ACCESS_TOKEN_TTL', raw, 300, 30, 86_400),
  } satisfies Setting<'accessTokenTtl'>,
  {
    key: 'idTokenTtl',
    env: ['PORTICO_ID_TOKEN_TTL'],
    description: 'Lifetime in seconds of ID tokens.',
    defaultText: '`3600`',
    parse: (raw) => seconds('PORTICO_ID_TOKEN_TTL', raw, 3600, 60, 86_400),
  } satisfies Setting<'idTokenTtl'>,
  {
    key: 'refreshTokenTtl',
    env: ['PORTICO_REFRESH_TOKEN_TTL'],
    description: 'Lifetime in seconds of a refresh token. Every use rotates it: the successor gets a fresh lifetime.',
    defaultText: '`2592000` (30 days)',
    parse: (raw) => seconds('PORTICO_REFRESH_TOKEN_TTL', raw, 2_592_000, 60, 31_536_000),
  } satisfies Setting<'refreshTokenTtl'>,
  {
    key: 'refreshGraceSeconds',
    env: ['PORTICO_REFRESH_GRACE_SECONDS'],
    description:
      'Reuse grace for rotated refresh tokens: within this many seconds the immediately previous token returns the same successor (for clients whose network dropped the answer). `0` (default) treats any reuse as theft and revokes the whole family.',
    defaultText: '`0`',
    parse: (raw) => seconds('PORTICO_REFRESH_GRACE_SECONDS', raw, 0, 0, 300),
  } satisfies Setting<'refreshGraceSeconds'>,
] as const;
