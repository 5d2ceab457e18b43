// Issue #11: the storage contract of the new repository methods, on SQLite and PostgreSQL: device
// authorizations (limits counted over the rows, one-time approval and redemption under concurrency,
// polls ordered atomically, cascade with the consent, purge), consents by organization, and the
// revocation check of an exchanged token's chain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Grant } from '../../src/domain/authorization.ts';
import { UniqueViolationError } from '../../src/domain/errors.ts';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import type { NewDeviceAuthorization, Storage } from '../../src/storage/port.ts';
import { createTestStorage, dialectSuite, DIALECTS } from '../support/databases.ts';
import { ids, newApplication, newOrganization } from '../support/fixtures.ts';

const T0 = new Date('2026-11-20T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

for (const dialect of DIALECTS) {
  describe(`issue #11: storage contract, device authorizations and consents by organization (${dialect})`, dialectSuite(dialect), () => {
    let storage: Storage;
    let app: { id: string; clientId: string };
    let org: { id: string };
    let n = 0;
    before(async () => {
      storage = await createTestStorage(dialect);
      org = await storage.organizations.create(newOrganization());
      app = (await storage.applications.create(newApplication({ type: 'oauth', isFirstParty: true })))!;
    });
    after(async () => {
      await storage.close();
    });

    const device = (over: Partial<NewDeviceAuthorization> = {}): NewDeviceAuthorization => {
      n++;
      return {
        id: ids(ID_PREFIX.bare),
        digest: `device-${dialect}-${n}`,
        userCodeDigest: `user-${dialect}-${n}`,
        userCodeSealed: Buffer.from(`sealed-${n}`),
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['openid', 'offline_access'],
        resource: null,
        clientAddress: '192.0.2.10',
        at: T0,
        expiresAt: later(300_000),
        intervalSeconds: 5,
        ...over,
      };
    };
    const unlimited = { since: new Date(T0.getTime() - 60_000), perAddress: 1000, perApplication: 1000 };
    const create = async (over: Partial<NewDeviceAuthorization> = {}) => {
      const d = device(over);
      assert.equal(await storage.deviceAuthorizations.create(d, unlimited), 'created');
      return d;
    };
    const grantFor = async (): Promise<Grant> => {
      n++;
      const { user } = await storage.users.upsertByExternalId({ newId: ids(ID_PREFIX.user), externalId: `dev-${dialect}-${n}`, email: `dev-${dialect}-${n}@example.test`, firstName: null, lastName: null, metadata: null, at: T0 });
      const consent = await storage.consents.grant({ userId: user.id, applicationId: app.id, organizationId: null, resource: null }, { newId: ids(ID_PREFIX.authorizedApplication), scopes: ['openid'], claims: { tier: 'gold' }, at: T0 });
      return { clientId: app.clientId, userId: user.id, consentId: consent.id, scopes: ['openid', 'offline_access'], resource: null, organizationId: null, claims: { tier: 'gold' }, authTime: T0 };
    };

    it('create counts the rows of the last window per address and per application; a taken user code is a UniqueViolationError', async () => {
      const own = (await storage.applications.create(newApplication({ type: 'oauth', isFirstParty: true })))!;
      const limits = { since: new Date(T0.getTime() - 60_000), perAddress: 2, perApplication: 3 };
      const make = (address: string) => storage.deviceAuthorizations.create(device({ applicationId: own.id, clientId: own.clientId, clientAddress: address }), limits);
      assert.deepEqual([await make('198.51.100.1'), await make('198.51.100.1'), await make('198.51.100.1')], ['created', 'created', 'address_limited']);
      assert.deepEqual([await make('198.51.100.2'), await make('198.51.100.3')], ['created', 'application_limited']);
      // Atomic: of 10 concurrent creates from one fresh address, exactly the limit get in.
      const other = (await storage.applications.create(newApplication({ type: 'oauth', isFirstParty: true })))!;
      const results = await Promise.all(Array.from({ length: 10 }, () => storage.deviceAuthorizations.create(device({ applicationId: other.id, clientId: other.clientId, clientAddress: '198.51.100.9' }), limits)));
      assert.equal(results.filter((r) => r === 'created').length, 2);
      const first = await create();
      await assert.rejects(storage.deviceAuthorizations.create(device({ userCodeDigest: first.userCodeDigest }), unlimited), (e) => e instanceof UniqueViolationError && e.column === 'user_code_digest');
    });

    it('finds a pending authorization by user code only while it is pending and unexpired; get and findByDigest in any state', async () => {
      const d = await create();
      const found = await storage.deviceAuthorizations.findPendingByUserCode(d.userCodeDigest, later(1000));
      assert.equal(found?.id, d.id);
      assert.deepEqual(found?.scopes, ['openid', 'offline_access']);
      assert.equal(found?.userCodeSealed.toString(), d.userCodeSealed.toString());
      assert.equal(found?.status, 'pending');
      assert.equal(found?.grant, null);
      assert.equal(await storage.deviceAuthorizations.findPendingByUserCode(d.userCodeDigest, later(300_000)), null);
      assert.equal(await storage.deviceAuthorizations.deny(d.id, later(1000)), true);
      assert.equal(await storage.deviceAuthorizations.findPendingByUserCode(d.userCodeDigest, later(1000)), null);
      assert.equal((await storage.deviceAuthorizations.findByDigest(d.digest))?.status, 'denied');
      assert.equal((await storage.deviceAuthorizations.get(d.id))?.status, 'denied');
      assert.equal(await storage.deviceAuthorizations.get('no\u0000such'), null);
    });

    it('recordPoll: the first poll is on time; sooner than the interval is too fast and adds 5 s; waiting the new interval is on time again', async () => {
      const d = await create();
      assert.deepEqual(await storage.deviceAuthorizations.recordPoll(d.digest, later(0)), { tooFast: false, intervalSeconds: 5 });
      assert.deepEqual(await storage.deviceAuthorizations.recordPoll(d.digest, later(2_000)), { tooFast: true, intervalSeconds: 10 });
      // Measured from the last poll, with the new interval.
      assert.deepEqual(await storage.deviceAuthorizations.recordPoll(d.digest, later(9_000)), { tooFast: true, intervalSeconds: 15 });
      assert.deepEqual(await storage.deviceAuthorizations.recordPoll(d.digest, later(24_000)), { tooFast: false, intervalSeconds: 15 });
      assert.deepEqual(await storage.deviceAuthorizations.recordPoll(d.digest, later(39_000)), { tooFast: false, intervalSeconds: 15 });
      assert.equal(await storage.deviceAuthorizations.recordPoll('unknown-digest', later(0)), null);
    });

    it('recordPoll is atomic: of 10 concurrent first polls exactly one is on time', async () => {
      const d = await create();
      const polls = await Promise.all(Array.from({ length: 10 }, () => storage.deviceAuthorizations.recordPoll(d.digest, later(1_000))));
      assert.equal(polls.filter((p) => p?.tooFast === false).length, 1);
      assert.equal((await storage.deviceAuthorizations.get(d.id))?.intervalSeconds, 50);
    });

    it('approve and deny happen once, only while pending and unexpired; an approved row carries its grant; polls of it are not recorded', async () => {
      const d = await create();
      const grant = await grantFor();
      assert.equal(await storage.deviceAuthorizations.approve(d.id, grant, later(300_000)), false, 'expired');
      assert.equal(await storage.deviceAuthorizations.approve(d.id, grant, later(1000)), true);
      assert.equal(await storage.deviceAuthorizations.approve(d.id, grant, later(1000)), false);
      assert.equal(await storage.deviceAuthorizations.deny(d.id, later(1000)), false);
      const approved = await storage.deviceAuthorizations.findByDigest(d.digest);
      assert.equal(approved?.status, 'approved');
      assert.deepEqual(approved?.grant, grant);
      assert.equal(await storage.deviceAuthorizations.recordPoll(d.digest, later(2000)), null);
    });

    it('redeem: exactly one of 20 concurrent calls wins; another client, a pending, denied or expired one never does', async () => {
      const d = await create();
      assert.equal(await storage.deviceAuthorizations.redeem(d.digest, app.clientId, later(1000)), null, 'pending');
      await storage.deviceAuthorizations.approve(d.id, await grantFor(), later(1000));
      assert.equal(await storage.deviceAuthorizations.redeem(d.digest, 'client_SOMEONEELSE', later(2000)), null);
      const results = await Promise.all(Array.from({ length: 20 }, () => storage.deviceAuthorizations.redeem(d.digest, app.clientId, later(2000))));
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]!.redeemedAt?.toISOString(), later(2000).toISOString());
      assert.ok(winners[0]!.grant);
      assert.equal(await storage.deviceAuthorizations.redeem(d.digest, app.clientId, later(3000)), null);

      const late = await create();
      await storage.deviceAuthorizations.approve(late.id, await grantFor(), later(1000));
      assert.equal(await storage.deviceAuthorizations.redeem(late.digest, app.clientId, later(300_000)), null, 'expired');
      const denied = await create();
      await storage.deviceAuthorizations.deny(denied.id, later(1000));
      assert.equal(await storage.deviceAuthorizations.redeem(denied.digest, app.clientId, later(2000)), null, 'denied');
    });

    it('deleting the consent takes an approved device authorization with it; purge drops rows past the cutoff and keeps live ones (issue #11)', async () => {
      const d = await create();
      const grant = await grantFor();
      await storage.deviceAuthorizations.approve(d.id, grant, later(1000));
      await storage.consents.deleteMany([grant.consentId]);
      assert.equal(await storage.consents.get(grant.consentId), null);
      assert.equal(await storage.deviceAuthorizations.get(d.id), null);
      const old = await create({ expiresAt: later(-1) });
      // issue #11: a row not yet expired at the cutoff survives the purge.
      const live = await create({ expiresAt: later(1) });
      assert.ok((await storage.deviceAuthorizations.purge(later(0))) >= 1);
      assert.equal(await storage.deviceAuthorizations.get(old.id), null);
      assert.equal((await storage.deviceAuthorizations.get(live.id))?.id, live.id, 'a live row survives the purge');
    });

    it('consents by organization: listed with keyset pagination; found per application; deleted by ID', async () => {
      const third = (await storage.applications.create(newApplication({ type: 'oauth', organizationId: org.id })))!;
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { user } = await storage.users.upsertByExternalId({ newId: ids(ID_PREFIX.user), externalId: `org-${dialect}-${i}`, email: `org-${dialect}-${i}@example.test`, firstName: null, lastName: null, metadata: null, at: T0 });
        const c = await storage.consents.grant({ userId: user.id, applicationId: third.id, organizationId: org.id, resource: null }, { newId: ids(ID_PREFIX.authorizedApplication), scopes: ['openid'], claims: {}, at: T0 });
        made.push(c.id);
        // The same user without an organization is not part of the organization's list.
        await storage.consents.grant({ userId: user.id, applicationId: app.id, organizationId: null, resource: null }, { newId: ids(ID_PREFIX.authorizedApplication), scopes: ['openid'], claims: {}, at: T0 });
      }
      const page1 = await storage.consents.listByOrganization(org.id, { limit: 2, order: 'asc' });
      assert.deepEqual(page1.data.map((c) => c.id), made.slice(0, 2));
      assert.ok(page1.after);
      const page2 = await storage.consents.listByOrganization(org.id, { limit: 2, order: 'asc', after: page1.after });
      assert.deepEqual(page2.data.map((c) => c.id), made.slice(2));
      assert.deepEqual((await storage.consents.listByOrganization(org.id, { limit: 10, order: 'desc' })).data.map((c) => c.id), [...made].reverse());
      assert.deepEqual((await storage.consents.listByOrganization('org_NONE', { limit: 10, order: 'desc' })).data, []);
      assert.deepEqual((await storage.consents.findForOrganization(org.id, third.id)).map((c) => c.id).sort(), [...made].sort());
      assert.deepEqual(await storage.consents.findForOrganization(org.id, app.id), []);
      await storage.consents.deleteMany(made.slice(0, 2));
      assert.deepEqual((await storage.consents.findForOrganization(org.id, third.id)).map((c) => c.id), made.slice(2));
      await storage.consents.deleteMany([]);
    });

    it('anyRevoked: true when one of the given jtis is revoked, in one call', async () => {
      await storage.revocations.revoke(`jti-${dialect}-b`, 'client_X', later(600_000));
      assert.equal(await storage.revocations.anyRevoked([`jti-${dialect}-a`, `jti-${dialect}-b`]), true);
      assert.equal(await storage.revocations.anyRevoked([`jti-${dialect}-a`, `jti-${dialect}-c`]), false);
      assert.equal(await storage.revocations.anyRevoked([]), false);
      assert.equal(await storage.revocations.anyRevoked(['nul\u0000']), false);
    });
  });
}
