import type { Config } from '../config.ts';
import type { Clock } from '../domain/clock.ts';
import type { IdGenerator } from '../domain/ids.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { Random } from '../domain/random.ts';
import type { RequestMeta } from '../domain/request-meta.ts';
import type { Metrics } from '../http/metrics.ts';
import type { OutboundFetch } from '../outbound/fetch.ts';
import type { Pages } from '../pages/kit.ts';
import type { Storage } from '../storage/port.ts';
import type { KeyStore } from './keys/key-store.ts';
import type { FailureLog } from './throttle.ts';

/**
 * Everything the authorization server may use; built once in app.ts. Core
 * functions take the narrow slice they need (`Pick<OAuthDeps, ...>` or an
 * interface of their own), never all of it.
 */
export interface OAuthDeps {
  readonly config: Config;
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly random: Random;
  readonly keys: KeyStore;
  readonly metrics: Metrics;
  readonly failures: FailureLog;
  /** The only way to reach a URL a client supplied (metadata documents, jwks_uri). */
  readonly outbound: OutboundFetch;
  /** `aud` of tokens requested without a resource: the environment's client ID. */
  readonly environmentClientId: string;
  /** Logs a failure nobody waits for (a background write), at warn with its cause: never swallowed silently. */
  readonly warn: (err: unknown, message: string) => void;
  /** Issue #14: the branded layout, stylesheet, CSP and scope descriptions of every page. */
  readonly pages: Pages;
}

export type { RequestMeta };
