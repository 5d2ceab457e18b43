import type { Clock } from '../domain/clock.ts';
import type { SigningKeyAdmin } from '../domain/signing-key.ts';
import type { IdGenerator } from '../domain/ids.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { Random } from '../domain/random.ts';
import type { Storage } from '../storage/port.ts';
import type { EndpointPolicy } from '../webhooks/endpoint-input.ts';

/** What the management services need; built once in app.ts. */
export interface ManagementDeps {
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly random: Random;
  /** The extra API key from PORTICO_API_KEY, if any. */
  readonly configuredApiKey: string | null;
  /** PORTICO_ISSUER: where the browser resumes after Standalone Connect. */
  readonly issuer: string;
  /** Issue #14: the signing keys, as the authorization server keeps them (built in app.ts: management never imports oauth/). */
  readonly signingKeys: SigningKeyAdmin;
  /** Issue #13: where webhook endpoints may point (the outbound policy). */
  readonly endpointPolicy: EndpointPolicy;
  /** Issue #13: PORTICO_SECRET_MAX_LIFETIME_DAYS (null: no limit). */
  readonly secretMaxLifetimeDays: number | null;
}

