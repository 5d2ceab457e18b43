import type { Config } from '../config.ts';
import type { Clock } from '../domain/clock.ts';
import type { IdGenerator } from '../domain/ids.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Storage } from '../storage/port.ts';
import type { KeyStore } from './keys/key-store.ts';
import type { FailureLog } from './throttle.ts';

/** What the authorization server needs; built once in app.ts. */
export interface OAuthDeps {
  readonly config: Config;
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly keys: KeyStore;
  readonly metrics: Metrics;
  readonly failures: FailureLog;
  /** `aud` of tokens requested without a resource: the environment's client ID. */
  readonly environmentClientId: string;
}
