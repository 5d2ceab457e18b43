import {
  parseApplicationCreate,
  parseApplicationFilter,
  parseApplicationUpdate,
  type Application,
} from '../../domain/application.ts';
import type { AuditContext } from '../../domain/audit.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { parsePageRequest, type Page } from '../../domain/pagination.ts';
import { recordEvent } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatApplication } from './format.ts';

export async function createApplication(deps: ManagementDeps, ctx: AuditContext, body: unknown): Promise<Application> {
  const input = parseApplicationCreate(body);
  const missingOrg = () => new NotFoundError('Organization', input.organizationId ?? '');
  if (input.organizationId !== null && !(await deps.storage.organizations.get(input.organizationId))) throw missingOrg();
  return deps.storage.transaction(async (tx) => {
    const app = await tx.applications.create({
      ...input,
      id: deps.ids(ID_PREFIX.application),
      clientId: deps.ids(ID_PREFIX.clientId),
      at: deps.clock.now(),
    });
    if (!app) throw missingOrg();
    await recordEvent(tx, deps, ctx, 'connect_application.created', app.organizationId, formatApplication(app));
    return app;
  });
}

/** By application ID or client ID, as every `{id}` under /connect/applications accepts both. */
export async function findApplication(deps: ManagementDeps, idOrClientId: string): Promise<Application> {
  const app = await deps.storage.applications.find(idOrClientId);
  if (!app) throw new NotFoundError('Application', idOrClientId);
  return app;
}

export async function listApplications(deps: ManagementDeps, query: Record<string, unknown>): Promise<Page<Application>> {
  const page = parsePageRequest(query);
  const filter = parseApplicationFilter(query);
  // The spec's only documented list error is 422 "Organization not found".
  if (filter.organizationId !== undefined && !(await deps.storage.organizations.get(filter.organizationId))) {
    throw new ValidationError([{ field: 'organization_id', code: 'organization_not_found' }], `Organization not found: '${filter.organizationId}'.`);
  }
  return deps.storage.applications.list(page, filter);
}

export async function updateApplication(deps: ManagementDeps, ctx: AuditContext, idOrClientId: string, body: unknown): Promise<Application> {
  const app = await findApplication(deps, idOrClientId);
  const patch = parseApplicationUpdate(body, app.type);
  return deps.storage.transaction(async (tx) => {
    const updated = await tx.applications.update(app.id, patch, deps.clock.now());
    if (!updated) throw new NotFoundError('Application', idOrClientId);
    await recordEvent(tx, deps, ctx, 'connect_application.updated', updated.organizationId, formatApplication(updated));
    return updated;
  });
}

/** Deletes the application; its secrets die with it in the same statement. */
export async function deleteApplication(deps: ManagementDeps, ctx: AuditContext, idOrClientId: string): Promise<void> {
  const app = await findApplication(deps, idOrClientId);
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.applications.delete(app.id))) throw new NotFoundError('Application', idOrClientId);
    await recordEvent(tx, deps, ctx, 'connect_application.deleted', app.organizationId, formatApplication(app));
  });
}
