import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { SYSTEM_CONTEXT } from '../../src/domain/audit.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { createIdGenerator, ID_PREFIX } from '../../src/domain/ids.ts';
import { Keyring } from '../../src/domain/keyring.ts';
import { systemRandom } from '../../src/domain/random.ts';
import { Metrics } from '../../src/http/metrics.ts';
import type { OAuthDeps } from '../../src/oauth/deps.ts';
import { createKeyStore, ensureSigningKey } from '../../src/oauth/keys/rotation.ts';
import { FailureLog } from '../../src/oauth/throttle.ts';
import type { Application } from '../../src/domain/application.ts';
import { openStorage } from '../../src/storage/sql/store.ts';
import type { Storage } from '../../src/storage/port.ts';
import { outboundFetch } from '../../src/outbound/fetch.ts';
import { brandOf, createPages } from '../../src/pages/kit.ts';

/** A clock the test moves by hand. */
export function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
}

/**
 * Real time plus an offset the test moves (issue #11): a server on it issues tokens that clients and
 * verifiers with the real clock still accept, and codes can be made to expire.
 */
export function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

/**
 * The authorization server's dependencies in process, without HTTP (issue #9:
 * the core takes plain values): a real embedded SQLite database (in memory,
 * migrated), a real key store with a signing key, a manual clock, and the
 * warnings the core logged.
 */
export async function inProcessDeps(env: Record<string, string> = {}, on?: Storage) {
  const storage = on ?? openStorage({ url: 'sqlite::memory:' });
  if (!on) await storage.migrate();
  const config = loadConfig({ PORTICO_DATABASE_URL: 'sqlite::memory:', PORTICO_ISSUER: 'https://auth.example.test', PORTICO_DEV_LOGIN: 'on', ...env });
  const clock = manualClock();
  const keyring = new Keyring(randomBytes(32));
  const ids = createIdGenerator();
  await ensureSigningKey({ storage, keyring, clock, ids, config }, SYSTEM_CONTEXT);
  const keys = createKeyStore({ storage, keyring, clock, ids, config });
  await keys.refresh();
  const warnings: string[] = [];
  const failures = new FailureLog(storage, clock, ids, (err) => warnings.push(String(err)));
  const deps: OAuthDeps = {
    config,
    storage,
    keyring,
    clock,
    ids,
    random: systemRandom,
    keys,
    metrics: new Metrics(),
    failures,
    outbound: outboundFetch({ allowPrivateNetworks: config.outbound.allowPrivateNetworks, ca: null }),
    environmentClientId: 'client_ENVIRONMENT00000000000000',
    pages: createPages(brandOf(config), config.scopeDescriptions),
    warn: (err, message) => warnings.push(`${message}: ${String(err)}`),
  };
  return {
    deps,
    clock,
    warnings,
    async close() {
      await failures.flush();
      await storage.close();
    },
  };
}

/** An application stored directly (no management API), plus its secrets' plaintexts. */
export async function storeApplication(deps: OAuthDeps, over: Partial<Application> = {}, secrets: readonly string[] = []): Promise<Application> {
  const org = await deps.storage.organizations.create({ id: deps.ids(ID_PREFIX.organization), name: 'Org', externalId: null, metadata: {}, allowProfilesOutsideOrganization: false, domains: [], at: deps.clock.now() });
  const app = await deps.storage.applications.create({
    id: deps.ids(ID_PREFIX.application),
    clientId: deps.ids(ID_PREFIX.clientId),
    name: 'App',
    description: null,
    scopes: ['read', 'write'],
    type: 'm2m',
    organizationId: over.isFirstParty ? null : org.id,
    isFirstParty: false,
    wasDynamicallyRegistered: false,
    usesPkce: false,
    redirectUris: [],
    ...over,
    at: deps.clock.now(),
  });
  if (!app) throw new Error('could not store the application');
  for (const secret of secrets) {
    await deps.storage.secrets.createCapped({ id: deps.ids(ID_PREFIX.secret), applicationId: app.id, digest: deps.keyring.digest('client-secret', secret), hint: secret.slice(-6), at: deps.clock.now() }, 5);
  }
  return app;
}
