import type { AuditContext } from '../../domain/audit.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { parsePageRequest, type Page } from '../../domain/pagination.ts';
import type { User } from '../../domain/user.ts';
import { BodyReader } from '../../domain/validate.ts';
import type { Membership } from '../../storage/port.ts';
import { recordEvent } from '../audit.ts';
import { deleteAuthorizedApplications, withApplications, type AuthorizedApplication } from '../authorized-applications/service.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatMembership } from './format.ts';

export async function getUser(deps: ManagementDeps, id: string): Promise<User> {
  const user = await deps.storage.users.get(id);
  if (!user) throw new NotFoundError('User', id);
  return user;
}

/** The user's consents, each with its application (deleted applications take their consents with them). */
export async function listAuthorizedApplications(deps: ManagementDeps, userId: string, query: Record<string, unknown>): Promise<Page<AuthorizedApplication>> {
  const page = parsePageRequest(query);
  await getUser(deps, userId);
  return withApplications(deps, await deps.storage.consents.listByUser(userId, page));
}

/**
 * Revokes a user's consent to an application (by application ID or client
 * ID): the consent(s), every token issued under them (refresh, access,
 * exchanged), and device authorizations not redeemed yet. The next
 * authorization asks for consent again.
 */
export async function deleteAuthorizedApplication(deps: ManagementDeps, ctx: AuditContext, userId: string, idOrClientId: string): Promise<void> {
  await getUser(deps, userId);
  await deleteAuthorizedApplications(deps, ctx, idOrClientId, (tx, app) => tx.consents.findForApplication(userId, app.id), { organizationId: null, data: () => ({ user_id: userId }) });
}

export async function createMembership(deps: ManagementDeps, ctx: AuditContext, body: unknown): Promise<Membership> {
  const r = new BodyReader(body);
  const userId = r.requiredString('user_id', { min: 1, max: 100 });
  const organizationId = r.requiredString('organization_id', { min: 1, max: 100 });
  r.done();
  await getUser(deps, userId);
  if (!(await deps.storage.organizations.get(organizationId))) throw new NotFoundError('Organization', organizationId);
  return deps.storage.transaction(async (tx) => {
    const m = await tx.memberships.create({ id: deps.ids(ID_PREFIX.membership), userId, organizationId, at: deps.clock.now() });
    if (!m) throw new NotFoundError('Organization', organizationId);
    await recordEvent(tx, deps, ctx, 'organization_membership.created', organizationId, formatMembership(m));
    return m;
  });
}

export async function listMemberships(deps: ManagementDeps, query: Record<string, unknown>): Promise<Page<Membership>> {
  const page = parsePageRequest(query);
  const filter: { userId?: string; organizationId?: string } = {};
  for (const [param, key] of [['user_id', 'userId'], ['organization_id', 'organizationId']] as const) {
    const v = query[param];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string' || v.length > 100 || v.includes('\u0000')) throw new ValidationError([{ field: param, code: `${param}_invalid` }]);
    filter[key] = v;
  }
  if (filter.userId === undefined && filter.organizationId === undefined) {
    throw new ValidationError([{ field: 'user_id', code: 'user_id_or_organization_id_required' }], 'Filter by user_id or organization_id.');
  }
  return deps.storage.memberships.list(page, filter);
}

export async function getMembership(deps: ManagementDeps, id: string): Promise<Membership> {
  const m = await deps.storage.memberships.get(id);
  if (!m) throw new NotFoundError('Organization membership', id);
  return m;
}

export async function deleteMembership(deps: ManagementDeps, ctx: AuditContext, id: string): Promise<void> {
  const m = await getMembership(deps, id);
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.memberships.delete(id))) throw new NotFoundError('Organization membership', id);
    await recordEvent(tx, deps, ctx, 'organization_membership.deleted', m.organizationId, formatMembership(m));
  });
}
