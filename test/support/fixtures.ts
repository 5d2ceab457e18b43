import { createIdGenerator, ID_PREFIX } from '../../src/domain/ids.ts';
import type { NewApplication, NewOrganization, Storage } from '../../src/storage/port.ts';

const ids = createIdGenerator();

/** Builders for storage-level fixtures; every field overridable. */
export function newOrganization(over: Partial<NewOrganization> = {}): NewOrganization {
  return {
    id: ids(ID_PREFIX.organization),
    name: 'Acme',
    externalId: null,
    metadata: {},
    allowProfilesOutsideOrganization: false,
    domains: [],
    at: new Date(),
    ...over,
  };
}

export function newApplication(over: Partial<NewApplication> = {}): NewApplication {
  return {
    id: ids(ID_PREFIX.application),
    clientId: ids(ID_PREFIX.clientId),
    name: 'App',
    description: null,
    scopes: [],
    type: 'm2m',
    organizationId: null,
    isFirstParty: false,
    wasDynamicallyRegistered: false,
    usesPkce: false,
    redirectUris: [],
    at: new Date(),
    ...over,
  };
}

/** An organization plus an M2M application it owns. */
export async function seedM2M(storage: Storage) {
  const org = await storage.organizations.create(newOrganization());
  const app = await storage.applications.create(newApplication({ organizationId: org.id }));
  if (!app) throw new Error('seed failed');
  return { org, app };
}

export { ids };
