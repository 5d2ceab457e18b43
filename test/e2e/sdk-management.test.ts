// Issue #2: the official @workos-inc/node SDK drives every organizations and connect management
// method against a real server on a real port; every response is checked against @workos/openapi-spec.
// Issue #8: tests that cover security bar items 1 and 3 carry the item in their titles.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ConflictException,
  GenericServerException,
  NotFoundException,
  UnauthorizedException,
  UnprocessableEntityException,
  WorkOS,
} from '@workos-inc/node';
import { checkResponse, recordResponses, type RecordedResponse } from '../contract/openapi.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { startServer, type TestServer } from '../support/server.ts';

function sdkFor(server: TestServer, apiKey = server.apiKey): WorkOS {
  const { hostname, port } = new URL(server.baseUrl);
  return new WorkOS(apiKey, { apiHostname: hostname, port: Number(port), https: false, maxRetries: 0 });
}

async function rejectsWith<T>(promise: Promise<unknown>, type: new (...args: never[]) => T, check?: (e: T) => void): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    check?.(e);
    return true;
  });
}

for (const dialect of DIALECTS) {
  describe(`WorkOS SDK against Portico (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let workos: WorkOS;
    const recorded: RecordedResponse[] = [];

    before(async () => {
      server = await startServer(dialect, { configure: (app) => recordResponses(app, recorded) });
      workos = sdkFor(server);
    });
    after(async () => {
      await server.close();
    });

    describe('organizations', () => {
      it('createOrganization, getOrganization, getOrganizationByExternalId', async () => {
        const org = await workos.organizations.createOrganization({
          name: 'Foo Corp',
          domainData: [
            { domain: 'foo-corp.test', state: 'pending' as never },
            { domain: 'foo-corp-verified.test', state: 'verified' as never },
          ],
          externalId: 'ext-foo',
          metadata: { tier: 'diamond' },
        });
        assert.match(org.id, /^org_[0-9A-Z]{26}$/);
        assert.equal(org.name, 'Foo Corp');
        assert.equal(org.externalId, 'ext-foo');
        assert.deepEqual(org.metadata, { tier: 'diamond' });
        assert.deepEqual(org.domains.map((d) => [d.domain, d.state]).sort(), [
          ['foo-corp-verified.test', 'verified'],
          ['foo-corp.test', 'pending'],
        ]);
        assert.ok(org.domains.find((d) => d.state === 'pending')?.verificationToken);
        assert.deepEqual(await workos.organizations.getOrganization(org.id), org);
        assert.deepEqual(await workos.organizations.getOrganizationByExternalId('ext-foo'), org);
      });

      it('updateOrganization changes only what it is given', async () => {
        const org = await workos.organizations.createOrganization({ name: 'Bar', externalId: 'ext-bar', metadata: { a: '1' } });
        const renamed = await workos.organizations.updateOrganization({ organization: org.id, name: 'Bar Inc' });
        assert.equal(renamed.name, 'Bar Inc');
        assert.equal(renamed.externalId, 'ext-bar');
        assert.deepEqual(renamed.metadata, { a: '1' });
        const changed = await workos.organizations.updateOrganization({
          organization: org.id,
          metadata: { b: '2' },
          externalId: 'ext-bar-2',
          stripeCustomerId: 'cus_123',
          domainData: [{ domain: 'bar.test', state: 'verified' as never }],
        });
        assert.deepEqual(changed.metadata, { b: '2' });
        assert.equal(changed.externalId, 'ext-bar-2');
        assert.equal(changed.stripeCustomerId, 'cus_123');
        assert.deepEqual(changed.domains.map((d) => d.domain), ['bar.test']);
        assert.ok(new Date(changed.updatedAt) >= new Date(org.updatedAt));
      });

      it('listOrganizations pages with limit/after/before and auto-paginates; filters by domains', async () => {
        const made: string[] = [];
        for (let i = 0; i < 12; i++) made.push((await workos.organizations.createOrganization({ name: `Paged ${i}` })).id);
        const first = await workos.organizations.listOrganizations({ limit: 5 });
        assert.equal(first.data.length, 5);
        assert.equal(first.data[0]!.id, made[11]);
        assert.ok(first.listMetadata.after);
        const second = await workos.organizations.listOrganizations({ limit: 5, after: first.listMetadata.after! });
        assert.equal(second.data[0]!.id, made[6]);
        const all = await (await workos.organizations.listOrganizations()).autoPagination();
        const allIds = all.map((o) => o.id);
        for (const id of made) assert.ok(allIds.includes(id));
        assert.equal(new Set(allIds).size, allIds.length);
        const asc = await workos.organizations.listOrganizations({ limit: 3, order: 'asc' });
        assert.ok(asc.data[0]!.createdAt <= asc.data[2]!.createdAt);
        const byDomain = await workos.organizations.listOrganizations({ domains: ['foo-corp.test'] });
        assert.deepEqual(byDomain.data.map((o) => o.name), ['Foo Corp']);
      });

      it('deleteOrganization removes it (and getOrganization then 404s)', async () => {
        const org = await workos.organizations.createOrganization({ name: 'Doomed' });
        await workos.organizations.deleteOrganization(org.id);
        await rejectsWith(workos.organizations.getOrganization(org.id), NotFoundException, (e) => {
          assert.equal(e.message, `Organization not found: '${org.id}'.`);
        });
        await rejectsWith(workos.organizations.deleteOrganization(org.id), NotFoundException);
      });

      it('reports the documented errors: external_id_already_used, domain conflict, invalid_metadata, 422', async () => {
        await workos.organizations.createOrganization({ name: 'Uniq', externalId: 'ext-uniq', domainData: [{ domain: 'uniq.test', state: 'verified' as never }] });
        await rejectsWith(workos.organizations.createOrganization({ name: 'Again', externalId: 'ext-uniq' }), GenericServerException, (e) => {
          assert.equal(e.status, 400);
          assert.equal((e.rawData as { code: string }).code, 'external_id_already_used');
        });
        await rejectsWith(
          workos.organizations.createOrganization({ name: 'Again', domainData: [{ domain: 'uniq.test', state: 'verified' as never }] }),
          ConflictException,
        );
        await rejectsWith(
          workos.organizations.createOrganization({ name: 'Meta', metadata: { ['k'.repeat(41)]: 'v' } }),
          GenericServerException,
          (e) => assert.equal((e.rawData as { code: string }).code, 'invalid_metadata'),
        );
        await rejectsWith(workos.organizations.createOrganization({ name: '' }), UnprocessableEntityException, (e) => {
          assert.match(e.message, /name_required/);
        });
        await rejectsWith(workos.organizations.listOrganizations({ limit: 1000 }), UnprocessableEntityException);
      });

      it('a wrong API key is UnauthorizedException', async () => {
        await rejectsWith(sdkFor(server, 'sk_wrong_key_0123456789abcdefghijklmnop').organizations.listOrganizations(), UnauthorizedException);
      });
    });

    describe('connect applications and client secrets', () => {
      let orgId: string;
      before(async () => {
        orgId = (await workos.organizations.createOrganization({ name: 'Connect Owner' })).id;
      });

      it('createApplication: first-party OAuth, third-party OAuth and M2M', async () => {
        const first = await workos.connect.createApplication({
          applicationType: 'oauth',
          name: 'First',
          isFirstParty: true,
          redirectUris: [{ uri: 'https://first.test/cb' }, { uri: 'http://127.0.0.1/cb' }],
          usesPkce: true,
          scopes: ['openid', 'posts:read'],
        } as never);
        assert.equal(first.applicationType, 'oauth');
        assert.match(first.id, /^conn_app_[0-9A-Z]{26}$/);
        assert.match(first.clientId, /^client_[0-9A-Z]{26}$/);
        if (first.applicationType !== 'oauth') throw new Error('oauth expected');
        assert.equal(first.isFirstParty, true);
        assert.equal(first.usesPkce, true);
        assert.deepEqual(first.redirectUris, [
          { uri: 'https://first.test/cb', default: true },
          { uri: 'http://127.0.0.1/cb', default: false },
        ]);
        assert.equal(first.description, null);

        const third = await workos.connect.createApplication({ applicationType: 'oauth', name: 'Third', isFirstParty: false, organizationId: orgId } as never);
        if (third.applicationType !== 'oauth') throw new Error('oauth expected');
        assert.equal(third.isFirstParty, false);
        assert.equal(third.wasDynamicallyRegistered, false);
        assert.equal(third.organizationId, orgId);
        assert.deepEqual(third.scopes, []);

        const m2m = await workos.connect.createApplication({ applicationType: 'm2m', name: 'Machine', organizationId: orgId, description: 'Backend', scopes: ['a:read'] } as never);
        assert.equal(m2m.applicationType, 'm2m');
        assert.equal(m2m.organizationId, orgId);
        assert.equal(m2m.description, 'Backend');
      });

      it('createOAuthApplication and createM2MApplication (positional forms)', async () => {
        const oauth = await workos.connect.createOAuthApplication('Positional OAuth', true, 'desc', ['x'], [{ uri: 'https://p.test/cb', default: true }] as never, false);
        assert.equal(oauth.name, 'Positional OAuth');
        const m2m = await workos.connect.createM2MApplication('Positional M2M', orgId, undefined, ['y']);
        assert.deepEqual(m2m.scopes, ['y']);
      });

      it('rejects third-party without organization (422) and an unknown organization (404)', async () => {
        await rejectsWith(workos.connect.createApplication({ applicationType: 'oauth', name: 'X', isFirstParty: false } as never), UnprocessableEntityException, (e) => {
          assert.match(e.message, /organization_id_required/);
        });
        await rejectsWith(
          workos.connect.createApplication({ applicationType: 'm2m', name: 'X', organizationId: 'org_01HXYZ123456789ABCDEFGHIJ' } as never),
          NotFoundException,
          (e) => assert.equal(e.message, "Organization not found: 'org_01HXYZ123456789ABCDEFGHIJ'."),
        );
        await rejectsWith(
          workos.connect.createApplication({ applicationType: 'oauth', name: 'X', isFirstParty: true, redirectUris: [{ uri: 'http://evil.test/cb' }] } as never),
          UnprocessableEntityException,
        );
      });

      it('getApplication by ID and by client ID; listApplications filters by organization and auto-paginates', async () => {
        const app = await workos.connect.createM2MApplication('Lookup', orgId);
        assert.deepEqual(await workos.connect.getApplication({ id: app.id }), app);
        assert.deepEqual(await workos.connect.getApplication({ id: app.clientId }), app);
        const other = (await workos.organizations.createOrganization({ name: 'Other owner' })).id;
        for (let i = 0; i < 3; i++) await workos.connect.createM2MApplication(`Other ${i}`, other);
        const filtered = await workos.connect.listApplications({ organizationId: other, limit: 2 });
        assert.equal(filtered.data.length, 2);
        const everything = await (await workos.connect.listApplications({ organizationId: other })).autoPagination();
        assert.deepEqual(everything.map((a) => a.name).sort(), ['Other 0', 'Other 1', 'Other 2']);
        const unfiltered = await workos.connect.listApplications({ limit: 100 });
        assert.ok(unfiltered.data.some((a) => a.id === app.id));
        await rejectsWith(workos.connect.listApplications({ organizationId: 'org_01HXYZ123456789ABCDEFGHIJ' }), UnprocessableEntityException);
      });

      it('updateApplication: the SDK sends null for unset fields, which leaves them unchanged', async () => {
        const app = await workos.connect.createApplication({
          applicationType: 'oauth',
          name: 'Updatable',
          isFirstParty: true,
          description: 'keep me',
          scopes: ['s1'],
          redirectUris: [{ uri: 'https://u.test/cb', default: true }],
        } as never);
        const renamed = await workos.connect.updateApplication({ id: app.id, name: 'Renamed' });
        assert.equal(renamed.name, 'Renamed');
        assert.equal(renamed.description, 'keep me');
        assert.deepEqual(renamed.scopes, ['s1']);
        if (renamed.applicationType !== 'oauth') throw new Error('oauth expected');
        assert.deepEqual(renamed.redirectUris, [{ uri: 'https://u.test/cb', default: true }]);
        const replaced = await workos.connect.updateApplication({
          id: app.clientId,
          scopes: ['s2', 's3'],
          redirectUris: [{ uri: 'https://v.test/cb', default: true }] as never,
          description: 'new',
        });
        assert.deepEqual(replaced.scopes, ['s2', 's3']);
        assert.equal(replaced.description, 'new');
        if (replaced.applicationType !== 'oauth') throw new Error('oauth expected');
        assert.deepEqual(replaced.redirectUris, [{ uri: 'https://v.test/cb', default: true }]);
        const m2m = await workos.connect.createM2MApplication('M2M no redirects', orgId);
        await rejectsWith(workos.connect.updateApplication({ id: m2m.id, redirectUris: [{ uri: 'https://x.test/cb' }] as never }), UnprocessableEntityException);
        await rejectsWith(workos.connect.updateApplication({ id: 'conn_app_01HXYZ123456789ABCDEFGHIJ', name: 'x' }), NotFoundException);
      });

      it('security bar 1: client secrets: create shows the plaintext once (7 fields), list never does, delete revokes', async () => {
        const app = await workos.connect.createM2MApplication('Secretive', orgId);
        const created = await workos.connect.createApplicationClientSecret({ id: app.id });
        assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'id', 'lastUsedAt', 'object', 'secret', 'secretHint', 'updatedAt']);
        assert.equal(created.object, 'connect_application_secret');
        assert.match(created.id, /^secret_[0-9A-Z]{26}$/);
        assert.match(created.secret, /^[A-Za-z0-9_-]{43,}$/);
        assert.equal(created.secretHint, created.secret.slice(-6));
        assert.equal(created.lastUsedAt, null);
        const viaClientId = await workos.connect.createApplicationClientSecret({ id: app.clientId });
        const listed = await workos.connect.listApplicationClientSecrets({ id: app.id });
        assert.deepEqual(listed.map((s) => s.id), [created.id, viaClientId.id]);
        for (const s of listed) assert.equal('secret' in s, false);
        await workos.connect.deleteClientSecret({ id: created.id });
        assert.deepEqual((await workos.connect.listApplicationClientSecrets({ id: app.clientId })).map((s) => s.id), [viaClientId.id]);
        await rejectsWith(workos.connect.deleteClientSecret({ id: created.id }), NotFoundException);
      });

      it('security bar 3: at most 5 secrets per application: the 6th is a 422', async () => {
        const app = await workos.connect.createM2MApplication('Capped', orgId);
        for (let i = 0; i < 5; i++) await workos.connect.createApplicationClientSecret({ id: app.id });
        await rejectsWith(workos.connect.createApplicationClientSecret({ id: app.id }), UnprocessableEntityException, (e) => {
          assert.equal(e.code, 'client_secret_limit_reached');
        });
        assert.equal((await workos.connect.listApplicationClientSecrets({ id: app.id })).length, 5);
      });

      it('deleteApplication removes the application and its secrets', async () => {
        const app = await workos.connect.createM2MApplication('Short-lived', orgId);
        const secret = await workos.connect.createApplicationClientSecret({ id: app.id });
        await workos.connect.deleteApplication({ id: app.clientId });
        await rejectsWith(workos.connect.getApplication({ id: app.id }), NotFoundException);
        await rejectsWith(workos.connect.listApplicationClientSecrets({ id: app.id }), NotFoundException);
        await rejectsWith(workos.connect.deleteClientSecret({ id: secret.id }), NotFoundException);
        await rejectsWith(workos.connect.deleteApplication({ id: app.id }), NotFoundException);
      });
    });

    it('every response the SDK received conforms to the OpenAPI document (or the ledger)', () => {
      assert.ok(recorded.length > 50, `recorded ${recorded.length} responses`);
      const problems = recorded.flatMap(checkResponse);
      assert.deepEqual(problems, []);
      const operations = new Set(recorded.map((r) => `${r.method} ${r.path}`));
      for (const op of [
        'GET /organizations', 'POST /organizations', 'GET /organizations/{id}', 'GET /organizations/external_id/{external_id}',
        'PUT /organizations/{id}', 'DELETE /organizations/{id}', 'GET /connect/applications', 'POST /connect/applications',
        'GET /connect/applications/{id}', 'PUT /connect/applications/{id}', 'DELETE /connect/applications/{id}',
        'GET /connect/applications/{id}/client_secrets', 'POST /connect/applications/{id}/client_secrets', 'DELETE /connect/client_secrets/{id}',
      ]) {
        assert.ok(operations.has(op), `not exercised: ${op}`);
      }
    });
  });
}
