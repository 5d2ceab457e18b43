// Issue #3 (security bar §6 item 41): tokens with random kids cause no database or key-store storm.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { loadConfig } from '../../config.ts';
import { SYSTEM_CONTEXT } from '../../domain/audit.ts';
import { systemClock } from '../../domain/clock.ts';
import { createIdGenerator } from '../../domain/ids.ts';
import { Keyring } from '../../domain/keyring.ts';
import { openStorage } from '../../storage/sql/store.ts';
import { createKeyStore, ensureSigningKey } from './rotation.ts';

it('1000 lookups of unknown kids re-read the key set at most once per second', async () => {
  const storage = openStorage({ url: 'sqlite::memory:' });
  await storage.migrate();
  const config = loadConfig({ PORTICO_DATABASE_URL: 'sqlite::memory:' });
  const deps = { storage, keyring: new Keyring(randomBytes(32)), clock: systemClock, ids: createIdGenerator(), config };
  await ensureSigningKey(deps, SYSTEM_CONTEXT);
  let reads = 0;
  const list = storage.signingKeys.list.bind(storage.signingKeys);
  const counted = { ...storage, signingKeys: { ...storage.signingKeys, list: () => (reads++, list()) } };
  const keys = createKeyStore({ ...deps, storage: counted });
  await keys.refresh();
  reads = 0;
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 1000 }, () => keys.verificationKey(`sso_oidc_key_pair_${randomBytes(8).toString('hex')}`)));
  assert.ok(results.every((r) => r === null));
  assert.ok(reads <= 1 + Math.ceil((Date.now() - started) / 1000), `re-read the key set ${reads} times`);
  assert.ok(keys.signer() !== null);
  await storage.close();
});
