// Issue #2: one storage contract suite, run against every adapter (SQLite and PostgreSQL).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UniqueViolationError } from '../../src/domain/errors.ts';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import type { PageRequest } from '../../src/domain/pagination.ts';
import type { Storage } from '../../src/storage/port.ts';
import { createTestStorage, dialectSuite, DIALECTS } from '../support/databases.ts';
import { ids, newApplication, newOrganization, seedM2M } from '../support/fixtures.ts';

const digest = (n: number) => Buffer.alloc(32, n);

for (const dialect of DIALECTS) {
  describe(`storage contract (${dialect})`, dialectSuite(dialect), () => {
    let storage: Storage;
    before(async () => {
      storage = await createTestStorage(dialect);
    });
    after(async () => {
      await storage.close();
    });

    describe('organizations', () => {
      it('creates, reads by ID and external ID, updates and deletes', async () => {
        const created = await storage.organizations.create(
          newOrganization({
            name: 'Globex',
            externalId: 'ext-globex',
            metadata: { tier: 'gold' },
            domains: [{ id: ids(ID_PREFIX.organizationDomain), domain: 'globex.test', state: 'verified', verificationStrategy: 'manual', verificationToken: null }],
          }),
        );
        assert.equal(created.name, 'Globex');
        assert.deepEqual(created.metadata, { tier: 'gold' });
        assert.equal(created.domains[0]?.domain, 'globex.test');
        assert.deepEqual(await storage.organizations.get(created.id), created);
        assert.deepEqual(await storage.organizations.getByExternalId('ext-globex'), created);

        const updated = await storage.organizations.update(created.id, { name: 'Globex Corp', externalId: null, at: new Date(created.createdAt.getTime() + 1000) });
        assert.equal(updated?.name, 'Globex Corp');
        assert.equal(updated?.externalId, null);
        assert.deepEqual(updated?.metadata, { tier: 'gold' });
        assert.ok(updated!.updatedAt > created.updatedAt);
        assert.equal(await storage.organizations.getByExternalId('ext-globex'), null);

        assert.equal(await storage.organizations.delete(created.id), true);
        assert.equal(await storage.organizations.get(created.id), null);
        assert.equal(await storage.organizations.delete(created.id), false);
        assert.equal(await storage.organizations.update(created.id, { name: 'x', at: new Date() }), null);
      });

      it('rejects a duplicate external_id or domain with UniqueViolationError and writes nothing', async () => {
        const domain = { id: ids(ID_PREFIX.organizationDomain), domain: 'dup.test', state: 'verified' as const, verificationStrategy: 'manual' as const, verificationToken: null };
        await storage.organizations.create(newOrganization({ externalId: 'dup-ext', domains: [domain] }));
        const second = newOrganization({ externalId: 'dup-ext' });
        await assert.rejects(storage.organizations.create(second), (e) => e instanceof UniqueViolationError && e.column === 'external_id');
        assert.equal(await storage.organizations.get(second.id), null);
        const third = newOrganization({ domains: [{ ...domain, id: ids(ID_PREFIX.organizationDomain) }] });
        await assert.rejects(storage.organizations.create(third), (e) => e instanceof UniqueViolationError && e.column === 'domain');
        // Atomic: the organization row of the failed create is not left behind.
        assert.equal(await storage.organizations.get(third.id), null);
      });

      it('replaces domains on update, keeping the IDs of those that stay', async () => {
        const d = (domain: string) => ({ id: ids(ID_PREFIX.organizationDomain), domain, state: 'pending' as const, verificationStrategy: 'dns' as const, verificationToken: 'tok' });
        const org = await storage.organizations.create(newOrganization({ domains: [d('keep.test'), d('drop.test')] }));
        const keepId = org.domains.find((x) => x.domain === 'keep.test')!.id;
        const updated = await storage.organizations.update(org.id, { domains: [d('keep.test'), d('new.test')], at: new Date() });
        assert.deepEqual(updated!.domains.map((x) => x.domain).sort(), ['keep.test', 'new.test']);
        assert.equal(updated!.domains.find((x) => x.domain === 'keep.test')!.id, keepId);
      });

      it('filters the list by domain and by name search, matching wildcards literally', async () => {
        const dom = { id: ids(ID_PREFIX.organizationDomain), domain: 'filter-me.test', state: 'verified' as const, verificationStrategy: 'manual' as const, verificationToken: null };
        const a = await storage.organizations.create(newOrganization({ name: 'Initech 100%_done', domains: [dom] }));
        await storage.organizations.create(newOrganization({ name: 'Initech 1000 done' }));
        const page: PageRequest = { limit: 100, order: 'desc' };
        assert.deepEqual((await storage.organizations.list(page, { domains: ['filter-me.test'] })).data.map((o) => o.id), [a.id]);
        assert.deepEqual((await storage.organizations.list(page, { search: '100%_' })).data.map((o) => o.id), [a.id]);
        assert.equal((await storage.organizations.list(page, { search: 'INITECH' })).data.length, 2);
        assert.equal((await storage.organizations.list(page, { domains: [] })).data.length, 0);
      });

      it('deleting an organization deletes its applications and their secrets', async () => {
        const { org, app } = await seedM2M(storage);
        await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(201), hint: 'abcdef', at: new Date() }, 5);
        assert.equal(await storage.organizations.delete(org.id), true);
        assert.equal(await storage.applications.find(app.id), null);
        assert.deepEqual(await storage.secrets.listByApplication(app.id), []);
      });

      it('answers "not found" for keys PostgreSQL could not even store (NUL)', async () => {
        assert.equal(await storage.organizations.get('org_\u0000'), null);
        assert.equal(await storage.organizations.getByExternalId('\u0000'), null);
        assert.equal(await storage.applications.find('conn_app_\u0000'), null);
        assert.equal(await storage.secrets.delete('secret_\u0000'), null);
      });
    });

    describe('applications', () => {
      it('finds by application ID and by client ID, updates and deletes', async () => {
        const { org, app } = await seedM2M(storage);
        assert.deepEqual(await storage.applications.find(app.id), app);
        assert.deepEqual(await storage.applications.find(app.clientId), app);
        const updated = await storage.applications.update(app.id, { scopes: ['a', 'b'], description: 'd' }, new Date());
        assert.deepEqual(updated?.scopes, ['a', 'b']);
        assert.equal(updated?.description, 'd');
        assert.equal(updated?.organizationId, org.id);
        assert.equal(await storage.applications.delete(app.id), true);
        assert.equal(await storage.applications.find(app.clientId), null);
        assert.equal(await storage.applications.update(app.id, { name: 'x' }, new Date()), null);
      });

      it('refuses to create an application for an organization that does not exist', async () => {
        assert.equal(await storage.applications.create(newApplication({ organizationId: 'org_gone' })), null);
      });

      it('keeps redirect URIs and flags of OAuth applications intact', async () => {
        const app = await storage.applications.create(
          newApplication({ type: 'oauth', isFirstParty: true, usesPkce: true, redirectUris: [{ uri: 'https://a.test/cb', default: true }] }),
        );
        const found = await storage.applications.find(app!.id);
        assert.deepEqual(found?.redirectUris, [{ uri: 'https://a.test/cb', default: true }]);
        assert.equal(found?.isFirstParty, true);
        assert.equal(found?.usesPkce, true);
      });
    });

    describe('keyset pagination', () => {
      let orgId: string;
      let all: string[]; // oldest first
      before(async () => {
        const org = await storage.organizations.create(newOrganization());
        orgId = org.id;
        all = [];
        for (let i = 0; i < 25; i++) {
          const app = await storage.applications.create(newApplication({ organizationId: orgId, name: `p${i}` }));
          all.push(app!.id);
        }
        // Lists are in ID order: creation order to the millisecond, and within one millisecond the order
        // of the IDs' random parts (issue #7: IDs are no longer incremented within a millisecond).
        all.sort();
      });
      const list = (req: Partial<PageRequest>) => storage.applications.list({ limit: 10, order: 'desc', ...req }, { organizationId: orgId });

      it('desc: newest first; after pages toward older, before back toward newer', async () => {
        const newest = [...all].reverse();
        const p1 = await list({});
        assert.deepEqual(p1.data.map((a) => a.id), newest.slice(0, 10));
        assert.equal(p1.before, null);
        assert.equal(p1.after, newest[9]);
        const p2 = await list({ after: p1.after! });
        assert.deepEqual(p2.data.map((a) => a.id), newest.slice(10, 20));
        assert.equal(p2.before, newest[10]);
        const p3 = await list({ after: p2.after! });
        assert.deepEqual(p3.data.map((a) => a.id), newest.slice(20));
        assert.equal(p3.after, null);
        const back = await list({ before: p3.before! });
        assert.deepEqual(back.data.map((a) => a.id), newest.slice(10, 20));
      });

      it('asc: oldest first; after pages toward newer', async () => {
        const p1 = await list({ order: 'asc' });
        assert.deepEqual(p1.data.map((a) => a.id), all.slice(0, 10));
        const p2 = await list({ order: 'asc', after: p1.after! });
        assert.deepEqual(p2.data.map((a) => a.id), all.slice(10, 20));
        const back = await list({ order: 'asc', before: p2.before! });
        assert.deepEqual(back.data.map((a) => a.id), all.slice(0, 10));
        assert.equal(back.before, null);
      });

      it('normal: newest first with reversed cursors (before = older, after = newer)', async () => {
        const newest = [...all].reverse();
        const p1 = await list({ order: 'normal' });
        assert.deepEqual(p1.data.map((a) => a.id), newest.slice(0, 10));
        assert.equal(p1.after, null);
        assert.equal(p1.before, newest[9]);
        const p2 = await list({ order: 'normal', before: p1.before! });
        assert.deepEqual(p2.data.map((a) => a.id), newest.slice(10, 20));
        const back = await list({ order: 'normal', after: p2.after! });
        assert.deepEqual(back.data.map((a) => a.id), newest.slice(0, 10));
      });
    });

    describe('client secrets', () => {
      it('stores digests, lists without them, caps at the given maximum', async () => {
        const { app } = await seedM2M(storage);
        for (let i = 0; i < 5; i++) {
          const r = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(i + 1), hint: `hint0${i}`, at: new Date() }, 5);
          assert.equal(r.ok, true);
        }
        const sixth = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(9), hint: 'hint09', at: new Date() }, 5);
        assert.deepEqual(sixth, { ok: false, reason: 'limit_reached' });
        const listed = await storage.secrets.listByApplication(app.id);
        assert.equal(listed.length, 5);
        for (const s of listed) {
          assert.deepEqual(Object.keys(s).sort(), ['applicationId', 'createdAt', 'expiresAt', 'hint', 'id', 'lastUsedAt', 'updatedAt']);
          assert.equal(s.lastUsedAt, null);
        }
        assert.equal((await storage.secrets.delete(listed[0]!.id))?.id, listed[0]!.id);
        assert.equal(await storage.secrets.delete(listed[0]!.id), null);
        const again = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(10), hint: 'hint10', at: new Date() }, 5);
        assert.equal(again.ok, true);
      });

      it('10 concurrent creates on an application holding 3 secrets: exactly 2 succeed', async () => {
        const { app } = await seedM2M(storage);
        for (let i = 0; i < 3; i++) {
          await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(40 + i), hint: 'h', at: new Date() }, 5);
        }
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(50 + i), hint: 'h', at: new Date() }, 5),
          ),
        );
        assert.equal(results.filter((r) => r.ok).length, 2);
        assert.equal((await storage.secrets.listByApplication(app.id)).length, 5);
      });

      it('refuses a secret for an unknown application', async () => {
        const r = await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: 'conn_app_nope', digest: digest(99), hint: 'h', at: new Date() }, 5);
        assert.deepEqual(r, { ok: false, reason: 'application_not_found' });
      });
    });

    describe('API keys', () => {
      it('finds live keys by digest only, and revocation is immediate', async () => {
        const before = await storage.apiKeys.countLive();
        const key = await storage.apiKeys.create({ id: ids(ID_PREFIX.apiKey), name: 'ci', digest: digest(7), hint: 'abcd', at: new Date() });
        assert.equal((await storage.apiKeys.findByDigest(digest(7), new Date()))?.id, key.id);
        assert.equal(await storage.apiKeys.countLive(), before + 1);
        assert.equal((await storage.apiKeys.revoke(key.id, new Date()))?.id, key.id);
        assert.equal(await storage.apiKeys.findByDigest(digest(7), new Date()), null);
        assert.equal(await storage.apiKeys.revoke(key.id, new Date()), null);
      });

      it('issue #14: a key with expires_at authenticates until then, is listed until then, never counts as a first-start key, and is purged after', async () => {
        const t0 = new Date('2026-03-01T12:00:00.000Z');
        const before = await storage.apiKeys.countLive();
        const key = await storage.apiKeys.create({ id: ids(ID_PREFIX.apiKey), name: 'Dashboard session', digest: digest(8), hint: 'wxyz', at: t0, expiresAt: new Date(t0.getTime() + 60_000) });
        assert.equal(key.expiresAt?.toISOString(), '2026-03-01T12:01:00.000Z');
        assert.equal((await storage.apiKeys.findByDigest(digest(8), new Date(t0.getTime() + 59_999)))?.id, key.id);
        assert.equal(await storage.apiKeys.findByDigest(digest(8), new Date(t0.getTime() + 60_000)), null, 'expired at expires_at exactly');
        assert.ok((await storage.apiKeys.list(t0)).some((k) => k.id === key.id));
        assert.ok(!(await storage.apiKeys.list(new Date(t0.getTime() + 60_000))).some((k) => k.id === key.id));
        assert.equal(await storage.apiKeys.countLive(), before, 'an expiring key is no way in on its own');
        await storage.apiKeys.purgeExpired(new Date(t0.getTime() + 60_000));
        assert.ok(await storage.apiKeys.revoke(key.id, t0), 'kept until it expired before the cut-off');
        await storage.apiKeys.purgeExpired(new Date(t0.getTime() + 60_001));
        assert.equal(await storage.apiKeys.revoke(key.id, t0), null, 'purged');
      });
    });

    describe('settings', () => {
      it('issue #14: put replaces, delete removes', async () => {
        assert.equal(await storage.settings.get('dashboard_password_test'), null);
        await storage.settings.put('dashboard_password_test', 'one');
        await storage.settings.put('dashboard_password_test', 'two');
        assert.equal(await storage.settings.get('dashboard_password_test'), 'two');
        assert.equal(await storage.settings.delete('dashboard_password_test'), true);
        assert.equal(await storage.settings.delete('dashboard_password_test'), false);
        assert.equal(await storage.settings.get('dashboard_password_test'), null);
      });
    });

    describe('OAuth state', () => {
      it('findCredentials returns the application and its secret digests in one piece; touch coalesces', async () => {
        const { app } = await seedM2M(storage);
        assert.equal(await storage.secrets.findCredentials(app.clientId, new Date()).then((c) => c?.secrets.length), 0);
        const s1 = ids(ID_PREFIX.secret);
        await storage.secrets.createCapped({ id: s1, applicationId: app.id, digest: digest(101), hint: 'h', at: new Date() }, 5);
        await storage.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(102), hint: 'h', at: new Date() }, 5);
        const creds = await storage.secrets.findCredentials(app.clientId, new Date());
        assert.equal(creds?.application.id, app.id);
        assert.deepEqual(creds?.secrets.map((x) => x.digest).sort(Buffer.compare), [digest(101), digest(102)]);
        assert.equal(await storage.secrets.findCredentials('client_unknown', new Date()), null);
        const t0 = new Date('2026-02-01T00:00:00.000Z');
        assert.equal(await storage.secrets.touch(s1, t0, new Date(t0.getTime() - 60_000)), true);
        // Within the minute: coalesced. Earlier time: never backwards.
        assert.equal(await storage.secrets.touch(s1, new Date(t0.getTime() + 30_000), new Date(t0.getTime() - 30_000)), false);
        assert.equal(await storage.secrets.touch(s1, new Date(t0.getTime() - 3_600_000), new Date(t0.getTime() - 3_660_000)), false);
        assert.equal(await storage.secrets.touch(s1, new Date(t0.getTime() + 120_000), new Date(t0.getTime() + 60_000)), true);
        const listed = await storage.secrets.listByApplication(app.id);
        assert.equal(listed.find((x) => x.id === s1)?.lastUsedAt?.toISOString(), '2026-02-01T00:02:00.000Z');
      });

      it('signing keys: insert, list in activation order, delete', async () => {
        const mk = (kid: string, at: string) => ({
          kid,
          alg: 'ES256' as const,
          publicJwk: { kty: 'EC', kid, alg: 'ES256' as const, use: 'sig' as const, crv: 'P-256' },
          sealedPrivateKey: Buffer.from('sealed'),
          createdAt: new Date(at),
          activeFrom: new Date(at),
        });
        await storage.signingKeys.insert(mk('kid_b', '2026-01-02T00:00:00.000Z'));
        await storage.signingKeys.insert(mk('kid_a', '2026-01-01T00:00:00.000Z'));
        const listed = await storage.signingKeys.list();
        assert.deepEqual(listed.map((k) => k.kid), ['kid_a', 'kid_b']);
        assert.deepEqual(listed[0]?.sealedPrivateKey, Buffer.from('sealed'));
        assert.equal(await storage.signingKeys.delete(['kid_a', 'kid_b']), 2);
      });

      it('revocations last until the token would have expired', async () => {
        await storage.revocations.revoke('JTI1', 'client_x', new Date('2026-01-01T01:00:00.000Z'));
        await storage.revocations.revoke('JTI1', 'client_x', new Date('2026-01-01T01:00:00.000Z'));
        assert.equal(await storage.revocations.anyRevoked(['JTI1']), true);
        assert.equal(await storage.revocations.anyRevoked(['JTI2']), false);
        assert.equal(await storage.revocations.purge(new Date('2026-01-01T02:00:00.000Z')), 1);
        assert.equal(await storage.revocations.anyRevoked(['JTI1']), false);
      });

      it('failure windows count up atomically and restart when stale', async () => {
        const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
        const one = [{ key: 'client:c1', count: 1 }, { key: 'ip:1.2.3.4', count: 1 }];
        await Promise.all(Array.from({ length: 8 }, () => storage.authFailures.record(one, t(0), t(-60))));
        await storage.authFailures.record([{ key: 'client:c1', count: 2 }, { key: 'ip:1.2.3.4', count: 2 }], t(0), t(-60));
        const w = await storage.authFailures.windows(['client:c1', 'ip:1.2.3.4', 'client:none'], t(-60));
        assert.deepEqual(w.map((x) => [x.key, x.count]).sort(), [['client:c1', 10], ['ip:1.2.3.4', 10]]);
        // 61 s later the window is stale: it restarts at 1.
        await storage.authFailures.record([{ key: 'client:c1', count: 1 }], t(61), t(1));
        const again = await storage.authFailures.windows(['client:c1'], t(1));
        assert.deepEqual(again.map((x) => x.count), [1]);
        assert.equal(await storage.authFailures.purge(t(30)), 1); // the ip:1.2.3.4 window from t(0)
        assert.deepEqual((await storage.authFailures.windows(['client:c1', 'ip:1.2.3.4'], t(-3600))).map((x) => x.key), ['client:c1']);
      });

      it('audit events list by name, organization and time range; settings keep the first value', async () => {
        const base = { organizationId: null, data: { a: 1 }, context: { actor_type: 'system' as const, actor_id: null, ip: null, request_id: null } };
        await storage.audit.record({ ...base, id: ids(ID_PREFIX.auditEvent), event: 'api_key.created', createdAt: new Date('2026-03-01T00:00:00.000Z') });
        await storage.audit.record({ ...base, id: ids(ID_PREFIX.auditEvent), event: 'api_key.revoked', organizationId: 'org_audit', createdAt: new Date('2026-03-02T00:00:00.000Z') });
        const page = { limit: 100, order: 'desc' as const };
        assert.deepEqual((await storage.audit.list(page, { events: ['api_key.revoked'] })).data.map((e) => e.event), ['api_key.revoked']);
        assert.equal((await storage.audit.list(page, { organizationId: 'org_audit' })).data.length, 1);
        const ranged = await storage.audit.list(page, { events: ['api_key.created', 'api_key.revoked'], rangeStart: new Date('2026-03-01T12:00:00.000Z'), rangeEnd: new Date('2026-03-03T00:00:00.000Z') });
        assert.deepEqual(ranged.data.map((e) => e.event), ['api_key.revoked']);
        assert.deepEqual(ranged.data[0]?.data, { a: 1 });
        assert.equal(await storage.settings.putIfAbsent('k', 'first'), 'first');
        assert.equal(await storage.settings.putIfAbsent('k', 'second'), 'first');
        assert.equal(await storage.settings.get('missing'), null);
      });

      it('transaction(): a failure rolls back every write made in it', async () => {
        const org = newOrganization();
        await assert.rejects(
          storage.transaction(async (tx) => {
            await tx.organizations.create(org);
            await tx.settings.putIfAbsent('tx-key', 'v');
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await storage.organizations.get(org.id), null);
        assert.equal(await storage.settings.get('tx-key'), null);
        // And nested atomic methods join the outer transaction.
        const { app } = await seedM2M(storage);
        await assert.rejects(
          storage.transaction(async (tx) => {
            const r = await tx.secrets.createCapped({ id: ids(ID_PREFIX.secret), applicationId: app.id, digest: digest(150), hint: 'h', at: new Date() }, 5);
            assert.equal(r.ok, true);
            throw new Error('undo');
          }),
          /undo/,
        );
        assert.deepEqual(await storage.secrets.listByApplication(app.id), []);
      });
    });

    describe('sign-in flow state (issue #7)', () => {
      const request = { clientId: 'c', redirectUri: 'https://x.test/cb', redirectUriGiven: true, scopes: ['openid'], state: null, nonce: null, codeChallenge: null, resource: null, prompt: [], maxAge: null, loginHint: null, hintedUserId: null, deviceAuthorizationId: null };
      it('issue #7: interactions are created only within the per-address and per-application limits of the window', async () => {
        const org = await storage.organizations.create(newOrganization());
        const app = (await storage.applications.create(newApplication({ type: 'oauth', organizationId: org.id })))!;
        const t0 = new Date('2026-05-01T10:00:00.000Z');
        const make = (address: string, at: Date) =>
          storage.interactions.create(
            { id: ids.random(ID_PREFIX.externalAuth), applicationId: app.id, request, at, expiresAt: new Date(at.getTime() + 600_000), userId: null, authTime: null, bindingDigest: 'b', clientAddress: address },
            { since: new Date(at.getTime() - 60_000), perAddress: 3, perApplication: 5 },
          );
        assert.deepEqual([await make('192.0.2.1', t0), await make('192.0.2.1', t0), await make('192.0.2.1', t0), await make('192.0.2.1', t0)], ['created', 'created', 'created', 'address_limited']);
        assert.deepEqual([await make('192.0.2.2', t0), await make('192.0.2.2', t0), await make('192.0.2.3', t0)], ['created', 'created', 'application_limited']);
        // A minute later the window has moved on.
        const t1 = new Date(t0.getTime() + 61_000);
        assert.equal(await make('192.0.2.1', t1), 'created');
        // Limits are atomic: of 10 concurrent creators from one fresh address, exactly the limit get in.
        const app2 = (await storage.applications.create(newApplication({ type: 'oauth', organizationId: org.id })))!;
        const t2 = new Date(t0.getTime() + 3_600_000);
        const results = await Promise.all(
          Array.from({ length: 10 }, () =>
            storage.interactions.create(
              { id: ids.random(ID_PREFIX.externalAuth), applicationId: app2.id, request, at: t2, expiresAt: new Date(t2.getTime() + 600_000), userId: null, authTime: null, bindingDigest: 'b', clientAddress: '198.51.100.9' },
              { since: new Date(t2.getTime() - 60_000), perAddress: 3, perApplication: 100 },
            ),
          ),
        );
        assert.equal(results.filter((r) => r === 'created').length, 3);
        // Expired interactions are purged at expiry.
        assert.equal(await storage.interactions.purge(new Date(t2.getTime() + 600_001)), 9);
      });

      it('issue #7: sessions can be ended; a code is consumed only by its own client', async () => {
        const { user } = await storage.users.upsertByExternalId({ newId: ids(ID_PREFIX.user), externalId: `flow-${dialect}`, email: `flow-${dialect}@example.test`, firstName: null, lastName: null, metadata: null, at: new Date() });
        const now = new Date();
        await storage.sessions.create('sess-digest', user.id, now, new Date(now.getTime() + 60_000));
        assert.equal((await storage.sessions.find('sess-digest', now))?.userId, user.id);
        await storage.sessions.delete('sess-digest');
        assert.equal(await storage.sessions.find('sess-digest', now), null);

        const org = await storage.organizations.create(newOrganization());
        const app = (await storage.applications.create(newApplication({ type: 'oauth', organizationId: org.id })))!;
        const consent = await storage.consents.grant({ userId: user.id, applicationId: app.id, organizationId: null, resource: null }, { newId: ids(ID_PREFIX.authorizedApplication), scopes: ['openid'], claims: {}, at: now });
        const grant = { clientId: app.clientId, userId: user.id, consentId: consent.id, scopes: ['openid'], resource: null, organizationId: null, claims: {}, authTime: now };
        await storage.codes.create({ ...grant, digest: 'code-digest', redirectUri: null, nonce: null, codeChallenge: null, expiresAt: new Date(now.getTime() + 60_000) });
        const issues = { familyId: 'fam', accessJti: 'jti', accessExp: new Date(now.getTime() + 300_000) };
        assert.deepEqual(await storage.codes.consume('code-digest', 'client_SOMEONEELSE', now, issues), { outcome: 'foreign' });
        assert.equal((await storage.codes.consume('code-digest', app.clientId, now, issues)).outcome, 'consumed');
        assert.equal((await storage.codes.consume('code-digest', app.clientId, now, issues)).outcome, 'reused');
        assert.deepEqual(await storage.codes.consume('code-digest', 'client_SOMEONEELSE', now, issues), { outcome: 'foreign' });
        assert.deepEqual(await storage.codes.consume('no-such-digest', app.clientId, now, issues), { outcome: 'unknown' });
      });
    });

    describe('idempotency store', () => {
      it('claims once, replays the completed answer, forgets released and expired claims', async () => {
        const key = digest(11);
        const fp = digest(12);
        const t0 = new Date('2026-01-01T00:00:00.000Z');
        const old = new Date('2025-12-31T00:00:00.000Z');
        assert.equal(await storage.idempotency.claim(key, fp, t0, old), null);
        const pending = await storage.idempotency.claim(key, fp, t0, old);
        assert.equal(pending?.status, null);
        await storage.idempotency.complete(key, 201, Buffer.from('sealed'));
        const done = await storage.idempotency.claim(key, fp, t0, old);
        assert.equal(done?.status, 201);
        assert.deepEqual(done?.sealedBody, Buffer.from('sealed'));
        // A day later the claim has expired and the key is free again.
        const t1 = new Date('2026-01-02T00:00:01.000Z');
        assert.equal(await storage.idempotency.claim(key, fp, t1, new Date('2026-01-01T00:00:01.000Z')), null);
        await storage.idempotency.release(key);
        assert.equal(await storage.idempotency.claim(key, fp, t1, old), null);
        assert.ok((await storage.idempotency.purge(new Date('2027-01-01T00:00:00.000Z'))) >= 1);
      });
    });
  });
}
