// Issue #12: the credential lookup's fast path on node:sqlite (one prepared statement on a connection of
// its own, src/storage/sql/credential-reader.ts) is pinned to the Kysely query it bypasses: the same
// answer for every shape of application and secret set, expiry at the same boundary, and only committed
// data, so a delete by any process is refused on the very next lookup and an open transaction's writes
// are never seen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import type { ClientCredentials, Storage } from '../../src/storage/port.ts';
import { openStorage } from '../../src/storage/sql/store.ts';
import { createTestStorage } from '../support/databases.ts';
import { ids, newApplication, newOrganization, seedM2M } from '../support/fixtures.ts';

const T0 = new Date('2026-06-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const digest = (n: number) => Buffer.alloc(32, n);

/** Secrets in a stable order, so the two paths compare whatever order SQLite returns them in. */
const sorted = (c: ClientCredentials | null) => (c === null ? null : { ...c, secrets: [...c.secrets].sort((a, b) => a.id.localeCompare(b.id)) });

describe('issue #12: the SQLite credential reader answers as the Kysely query does', () => {
  let storage: Storage & { url: string };
  let other: Storage;
  before(async () => {
    storage = await createTestStorage('sqlite');
    other = openStorage({ url: storage.url });
  });
  after(async () => {
    await other.close();
    await storage.close();
  });

  /** The fast path (outside a transaction) and the Kysely query (inside one) for the same lookup. */
  async function both(clientId: string, now: Date) {
    const fast = await storage.secrets.findCredentials(clientId, now);
    const reference = await storage.transaction((tx) => tx.secrets.findCredentials(clientId, now));
    return { fast: sorted(fast), reference: sorted(reference) };
  }

  it('unknown clients, a client ID with NUL, an application without secrets', async () => {
    for (const id of ['client_unknown', 'client_\u0000x']) {
      const r = await both(id, T0);
      assert.equal(r.fast, null);
      assert.equal(r.reference, null);
    }
    const { app } = await seedM2M(storage);
    const r = await both(app.clientId, T0);
    assert.deepEqual(r.fast, r.reference);
    assert.deepEqual(r.fast?.secrets, []);
    assert.equal(r.fast?.application.id, app.id);
  });

  it('every application column and every live secret, expiry exclusive at expires_at, last use', async () => {
    const org = await storage.organizations.create(newOrganization());
    const app = await storage.applications.create(
      newApplication({ organizationId: org.id, type: 'oauth', description: 'd', scopes: ['a', 'b'], usesPkce: true, redirectUris: [{ uri: 'https://x.test/cb', default: true }] }),
    );
    assert.ok(app);
    const mk = (n: number, expiresAt: Date | null) => storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(n), hint: 'h', expiresAt, at: T0 }, 5);
    const first = await mk(1, null);
    await mk(2, at(10_000));
    await mk(3, at(20_000));
    assert.ok(first.ok);
    await storage.secrets.touch(first.secret.id, at(5), at(-60_000));
    for (const now of [at(0), at(9_999), at(10_000), at(20_001)]) {
      const r = await both(app.clientId, now);
      assert.deepEqual(r.fast, r.reference, `at +${now.getTime() - T0.getTime()} ms`);
    }
    const r = await both(app.clientId, at(10_000));
    assert.deepEqual(r.fast?.secrets.map((s) => s.digest[0]).sort(), [1, 3]);
    assert.equal(r.fast?.secrets.find((s) => s.id === first.secret.id)?.lastUsedAt?.toISOString(), at(5).toISOString());
    assert.equal(r.fast?.application.description, 'd');
  });

  it('a dynamically registered client with its metadata', async () => {
    const registered = await storage.dynamicClients.register(
      {
        id: ids(ID_PREFIX.application),
        clientId: ids(ID_PREFIX.clientId),
        name: 'MCP',
        scopes: ['openid'],
        redirectUris: [{ uri: 'http://127.0.0.1:3000/cb', default: true }],
        usesPkce: true,
        metadata: {
          source: 'dcr', clientUri: 'https://mcp.example.test', logoUri: null, tosUri: null, policyUri: null, contacts: [], softwareId: null, softwareVersion: null,
          applicationType: 'native', grantTypes: ['authorization_code'], responseTypes: ['code'], tokenEndpointAuthMethod: 'none', scope: 'openid', jwks: null, jwksUri: null,
        },
        metadataExpiresAt: at(60_000),
        registrationTokenDigest: null,
        clientAddress: '192.0.2.7',
        at: T0,
      },
      { since: at(-1), perAddress: 100 },
    );
    assert.equal(registered.outcome, 'created');
    if (registered.outcome !== 'created') return;
    const r = await both(registered.application.clientId, T0);
    assert.deepEqual(r.fast, r.reference);
    assert.ok(r.fast?.application.dynamic);
  });

  it("another process's delete is refused on the very next lookup", async () => {
    const { app } = await seedM2M(storage);
    const made = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(9), hint: 'h', at: T0 }, 5);
    assert.ok(made.ok);
    assert.equal((await storage.secrets.findCredentials(app.clientId, T0))?.secrets.length, 1);
    assert.ok(await other.secrets.delete(made.secret.id));
    assert.deepEqual((await storage.secrets.findCredentials(app.clientId, T0))?.secrets, []);
    assert.equal(await other.applications.delete(app.id), true);
    assert.equal(await storage.secrets.findCredentials(app.clientId, T0), null);
  });

  it("sees only committed data: an open transaction's delete is not visible, and the lookup does not wait for it", async () => {
    const { app } = await seedM2M(storage);
    const made = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(7), hint: 'h', at: T0 }, 5);
    assert.ok(made.ok);
    const during = await storage
      .transaction(async (tx) => {
        await tx.secrets.delete(made.secret.id);
        // The main connection is held by this transaction: only a connection of its own can answer here.
        const seen = await Promise.race([storage.secrets.findCredentials(app.clientId, T0), new Promise<'waited'>((r) => setTimeout(() => r('waited'), 2_000))]);
        throw Object.assign(new Error('rollback'), { seen });
      })
      .catch((err: { seen?: unknown }) => err.seen);
    assert.notEqual(during, 'waited', 'the lookup waited for the transaction');
    assert.equal((during as ClientCredentials | null)?.secrets.length, 1, 'the uncommitted delete was seen');
    assert.equal((await storage.secrets.findCredentials(app.clientId, T0))?.secrets.length, 1, 'rolled back');
  });
});
