import type { Config } from '../../config.ts';
import { newAuditEvent, type AuditContext } from '../../domain/audit.ts';
import type { Clock } from '../../domain/clock.ts';
import { ID_PREFIX, type IdGenerator } from '../../domain/ids.ts';
import type { Keyring } from '../../domain/keyring.ts';
import { keySchedule, keyStates, type SigningKeyAdmin, type StoredSigningKey } from '../../domain/signing-key.ts';
import type { Storage } from '../../storage/port.ts';
import { generateSigningKey } from './generate.ts';
import { KeyStore } from './key-store.ts';

export interface KeyDeps {
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly config: Config;
}

/** Nodes re-read the key set this often: well inside the publish delay. */
export function refreshIntervalMs(config: Config): number {
  return Math.max(100, Math.min(30_000, (config.keyPublishDelay * 1000) / 2));
}

/**
 * How long a key stays published after it stopped signing: the longest token
 * it can have signed, plus the time verifiers may cache the JWKS, plus the
 * time a node may take to notice the rotation.
 */
export function retentionMs(config: Config): number {
  const longest = Math.max(config.m2mTokenTtl, config.accessTokenTtl, config.idTokenTtl);
  return (longest + config.jwksMaxAge) * 1000 + refreshIntervalMs(config);
}

export function createKeyStore(deps: KeyDeps, onRefreshError?: (err: unknown) => void): KeyStore {
  return new KeyStore(deps.storage.signingKeys, deps.keyring, deps.clock, {
    retentionMs: retentionMs(deps.config),
    refreshMs: refreshIntervalMs(deps.config),
    asyncSigning: deps.config.signing === 'async',
    ...(onRefreshError && { onRefreshError }),
  });
}

async function insertWithEvent(deps: KeyDeps, key: StoredSigningKey, event: 'signing_key.created' | 'signing_key.rotated', context: AuditContext): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    await tx.signingKeys.insert(key);
    await tx.audit.record(newAuditEvent(deps, event, null, { kid: key.kid, alg: key.alg, active_from: key.activeFrom.toISOString() }, context));
  });
}

/**
 * At start: with no key at all, create one that signs at once (no token can
 * exist yet). When the configured algorithm changed, add a key of the new
 * algorithm that is published first and signs after the publish delay.
 */
export async function ensureSigningKey(deps: KeyDeps, context: AuditContext): Promise<void> {
  const keys = await deps.storage.signingKeys.list();
  const now = deps.clock.now();
  if (keys.length === 0) {
    await insertWithEvent(deps, generateSigningKey(deps.keyring, deps.config.signingAlg, deps.ids(ID_PREFIX.signingKey), now, now), 'signing_key.created', context);
    return;
  }
  const latest = keys[keys.length - 1]!;
  if (latest.alg !== deps.config.signingAlg) await rotateSigningKey(deps, context);
}

/**
 * `portico keys rotate`: a new key, published now, signing from now + the
 * publish delay. The previous key keeps signing until then and stays published
 * until every token it signed has expired; keys past that are deleted.
 */
export async function rotateSigningKey(deps: KeyDeps, context: AuditContext): Promise<StoredSigningKey> {
  const now = deps.clock.now();
  const activeFrom = new Date(now.getTime() + deps.config.keyPublishDelay * 1000);
  const key = generateSigningKey(deps.keyring, deps.config.signingAlg, deps.ids(ID_PREFIX.signingKey), now, activeFrom);
  await insertWithEvent(deps, key, 'signing_key.rotated', context);
  const retired = keySchedule(await deps.storage.signingKeys.list(), now, retentionMs(deps.config)).retired;
  await deps.storage.signingKeys.delete(retired);
  return key;
}

/**
 * The signing keys for the management face (issue #14: `/portico/signing_keys`).
 * After a rotation this node re-reads its key set at once; the others within
 * their refresh interval, well inside the publish delay.
 */
export function signingKeyAdmin(deps: KeyDeps, keys: Pick<KeyStore, 'refresh'>): SigningKeyAdmin {
  const list = async () => keyStates(await deps.storage.signingKeys.list(), deps.clock.now(), retentionMs(deps.config));
  return {
    list,
    async rotate(ctx) {
      const key = await rotateSigningKey(deps, ctx);
      await keys.refresh();
      const view = (await list()).find((k) => k.kid === key.kid);
      if (!view) throw new Error('the new signing key is missing');
      return view;
    },
  };
}
