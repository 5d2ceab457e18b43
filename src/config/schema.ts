import { isIP } from 'node:net';
import type { SigningAlg } from '../domain/signing-key.ts';

/** Portico's configuration, parsed once from the environment (config.ts), frozen, and passed down. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly issuer: string;
  readonly apiKey: string | null;
  readonly secretKey: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly production: boolean;
  readonly signingAlg: SigningAlg;
  /** Seconds. */
  readonly m2mTokenTtl: number;
  /** Seconds a new signing key is published before it signs. */
  readonly keyPublishDelay: number;
  /** Seconds clients may cache the JWKS. */
  readonly jwksMaxAge: number;
  /** Canonical RFC 8707 resource indicators tokens may be issued for. */
  readonly resources: readonly string[];
  /** `aud` of tokens issued without a resource; null = generated once and stored. */
  readonly clientId: string | null;
  /** Where tokens are signed (issue #12): on libuv's threadpool (`async`) or on the event loop (`sync`). */
  readonly signing: 'async' | 'sync';
  readonly workers: number;
  /** Failed client authentications per client_id per minute before 429 (5x that per source address). */
  readonly authFailureLimit: number;
  /** The company's login page (Standalone Connect); null serves the development login. */
  readonly loginUrl: string | null;
  /** Seconds: user access tokens, ID tokens, refresh tokens, refresh reuse grace. */
  readonly accessTokenTtl: number;
  readonly idTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly refreshGraceSeconds: number;
  /**
   * The built-in development login: on only without PORTICO_LOGIN_URL, for a
   * loopback issuer, or when PORTICO_DEV_LOGIN=on asks for it (`forced`, warned about at start).
   */
  readonly devLogin: { readonly enabled: boolean; readonly forced: boolean };
  /** Fastify `trustProxy`: false, a hop count, or trusted addresses/CIDRs. */
  readonly trustProxy: false | number | readonly string[];
  /** New authorizations per minute per client address; a client_id may start 20 times as many. */
  readonly authorizeRateLimit: number;
  /** Wrong user codes per minute from one address on `/device` before it answers 429 (RFC 8628 §5.1). */
  readonly userCodeFailureLimit: number;
  /** Seconds a request's head and body may take to arrive before 408 and close. */
  readonly requestTimeoutSeconds: number;
  /** Open connections per process; past it new connections are closed at once. */
  readonly maxConnections: number;
  /** Where `/metrics` is served: the public port, a separate listener, or nowhere. */
  readonly metrics: { readonly port: number | null; readonly host: string; readonly token: string | null };
  /** Issue #10: clients identified by a Client ID Metadata Document (an https URL). */
  readonly clientIdMetadataDocuments: boolean;
  /** Issue #10: open dynamic client registration (RFC 7591/7592). */
  readonly dynamicClientRegistration: boolean;
  /** Scopes (besides the OIDC ones) that dynamic and metadata-document clients may ask for. */
  readonly dynamicClientScopes: readonly string[];
  /** New dynamic clients (registrations and first-seen documents) per client address per minute. */
  readonly registrationRateLimit: number;
  /** Seconds after which a dynamic client to which no token was ever issued is deleted. */
  readonly registrationUnusedTtl: number;
  /** The outbound HTTP policy (outbound/fetch.ts). */
  readonly outbound: { readonly allowPrivateNetworks: boolean; readonly caFile: string | null };
  /** Issue #13: whether this process runs the webhook delivery loop. */
  readonly webhookDelivery: boolean;
  /** Deliveries to one endpoint in flight at once, cluster-wide. */
  readonly webhookConcurrency: number;
  /** Seconds an endpoint has to answer; the claim lease is this plus 10 s. */
  readonly webhookTimeoutSeconds: number;
  /** Milliseconds between looks for due deliveries. */
  readonly webhookPollMs: number;
  /** Days finished deliveries and their attempts are kept. */
  readonly webhookRetentionDays: number;
  /** Days before expiry that `connect_application_secret.expiring` is emitted. */
  readonly secretExpiryWarningDays: number;
  /** Longest lifetime of a new client secret in days; null: no limit. */
  readonly secretMaxLifetimeDays: number | null;
  /** Issue #14: the brand on every page (domain/brand.ts). */
  readonly brandName: string;
  readonly brandLogoUrl: string | null;
  /** `#rrggbb`. */
  readonly brandPrimaryColor: string;
  readonly brandSupportUrl: string | null;
  /** Scope -> what the consent page says it allows (PORTICO_SCOPE_DESCRIPTIONS). */
  readonly scopeDescriptions: ReadonlyMap<string, string>;
}

export class ConfigError extends Error {}

export type Env = Readonly<Record<string, string | undefined>>;

export interface Setting<K extends keyof Config> {
  readonly key: K;
  /** Environment variables read, first one set wins. */
  readonly env: readonly string[];
  readonly description: string;
  /** The default as documented. */
  readonly defaultText: string;
  parse(raw: string | undefined, env: Env, partial: Partial<Config>): Config[K];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function fail(name: string, what: string, raw: string): never {
  const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
  throw new ConfigError(`${name} ${what} (got "${shown}")`);
}

export function seconds(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(name, `must be a whole number of seconds between ${min} and ${max}`, raw);
  return Number(raw);
}

/** True for http(s) URLs whose host is loopback: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl(raw: string): boolean {
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '[::1]';
}

/** `on` / `off` (and the usual spellings of both); anything else stops the start. */
export function onOff(name: string, raw: string | undefined, dflt: boolean): boolean {
  if (raw === undefined || raw === '') return dflt;
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  return fail(name, 'must be on or off', raw);
}

export const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An IP address or CIDR block (`10.0.0.0/8`, `fd00::/8`). */
export function isAddressOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

