// Issue #10: the storage contract of dynamic clients, on every dialect: creation within a per-address
// limit (exact under concurrency on one application's registrations), updates, registration tokens,
// last use, the purge of unused clients, single-use client assertions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientMetadata } from '../../src/domain/client-metadata.ts';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import type { NewDynamicClient, Storage } from '../../src/storage/port.ts';
import { createTestStorage, dialectSuite, DIALECTS } from '../support/databases.ts';
import { ids } from '../support/fixtures.ts';

const metadata: ClientMetadata = {
  source: 'dcr', clientUri: null, logoUri: null, tosUri: null, policyUri: null, contacts: [], softwareId: null, softwareVersion: null,
  applicationType: 'web', grantTypes: ['authorization_code'], responseTypes: ['code'], tokenEndpointAuthMethod: 'none', scope: null, jwks: null, jwksUri: null,
};

function client(over: Partial<NewDynamicClient> = {}): NewDynamicClient {
  return {
    id: ids(ID_PREFIX.application), clientId: ids(ID_PREFIX.clientId), name: 'Dyn', scopes: [], redirectUris: [{ uri: 'https://a.test/cb', default: true }], usesPkce: true,
    metadata, metadataExpiresAt: null, registrationTokenDigest: ids.random(ID_PREFIX.bare), clientAddress: '192.0.2.1', at: new Date('2026-06-01T00:00:00.000Z'), ...over,
  };
}

for (const dialect of DIALECTS) {
  describe(`issue #10: dynamic client storage (${dialect})`, dialectSuite(dialect), () => {
    let storage: Storage;
    before(async () => {
      storage = await createTestStorage(dialect);
    });
    after(async () => {
      await storage.close();
    });
    const limits = (perAddress: number) => ({ since: new Date('2026-05-31T23:59:00.000Z'), perAddress });

    it('issue #10: registers within the per-address limit; the application is a third-party OAuth app with no organization', async () => {
      const first = await storage.dynamicClients.register(client({ clientAddress: '198.51.100.1' }), limits(2));
      assert.equal(first.outcome, 'created');
      if (first.outcome !== 'created') return;
      assert.equal(first.application.type, 'oauth');
      assert.equal(first.application.isFirstParty, false);
      assert.equal(first.application.wasDynamicallyRegistered, true);
      assert.equal(first.application.organizationId, null);
      assert.deepEqual(first.application.dynamic?.metadata, metadata);
      assert.equal((await storage.dynamicClients.register(client({ clientAddress: '198.51.100.1' }), limits(2))).outcome, 'created');
      assert.equal((await storage.dynamicClients.register(client({ clientAddress: '198.51.100.1' }), limits(2))).outcome, 'address_limited');
      assert.equal((await storage.dynamicClients.register(client({ clientAddress: '198.51.100.2' }), limits(2))).outcome, 'created');
    });

    it('issue #10: update, registration token, last use, and the purge of unused clients', async () => {
      const c = client({ clientAddress: '198.51.100.9' });
      await storage.dynamicClients.register(c, limits(100));
      assert.equal(await storage.dynamicClients.registrationTokenDigest(c.clientId), c.registrationTokenDigest);
      assert.equal(await storage.dynamicClients.registrationTokenDigest('client_NONE'), null);
      const updated = await storage.dynamicClients.update(c.clientId, { name: 'Renamed', scopes: ['notes:read'], redirectUris: [{ uri: 'https://b.test/cb', default: true }], usesPkce: true, metadata: { ...metadata, logoUri: 'https://b.test/logo.png' } }, null, new Date('2026-06-01T00:01:00.000Z'));
      assert.equal(updated?.name, 'Renamed');
      assert.equal(updated?.dynamic?.metadata.logoUri, 'https://b.test/logo.png');
      const used = client({ clientAddress: '198.51.100.9' });
      await storage.dynamicClients.register(used, limits(100));
      await storage.dynamicClients.markUsed(used.id, new Date('2026-06-01T00:02:00.000Z'), new Date('2026-06-01T00:01:00.000Z'));
      assert.ok((await storage.dynamicClients.purgeUnused(new Date('2026-06-02T00:00:00.000Z'))) >= 1);
      assert.equal(await storage.applications.find(c.clientId), null);
      assert.equal((await storage.applications.find(used.clientId))?.dynamic?.lastUsedAt?.toISOString(), '2026-06-01T00:02:00.000Z');
    });

    it('issue #10: a client assertion is spent once, even by concurrent requests; expired ones are purged', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => storage.dynamicClients.useAssertion(`jti-${dialect}`, new Date('2026-06-01T01:00:00.000Z'))));
      assert.equal(results.filter(Boolean).length, 1);
      assert.ok((await storage.dynamicClients.purgeAssertions(new Date('2026-06-01T02:00:00.000Z'))) >= 1);
      assert.equal(await storage.dynamicClients.useAssertion(`jti-${dialect}`, new Date('2026-06-01T03:00:00.000Z')), true);
    });
  });
}
