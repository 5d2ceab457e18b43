import type { AuditContext } from '../../domain/audit.ts';
import { BadRequestError, ConflictError, NotFoundError, UniqueViolationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import {
  parseOrganizationCreate,
  parseOrganizationFilter,
  parseOrganizationUpdate,
  type DomainInput,
  type Organization,
} from '../../domain/organization.ts';
import { parsePageRequest, type Page } from '../../domain/pagination.ts';
import type { NewDomain } from '../../storage/port.ts';
import { recordEvent } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatOrganization } from './format.ts';

/** Storage unique violations -> the codes the OpenAPI document lists for organizations. */
function translateUnique(err: unknown): unknown {
  if (!(err instanceof UniqueViolationError)) return err;
  switch (err.column) {
    case 'external_id':
      return new BadRequestError('external_id_already_used', 'An organization with this external_id already exists.');
    case 'stripe_customer_id':
      return new BadRequestError('stripe_customer_id_already_used', 'An organization with this stripe_customer_id already exists.');
    case 'domain':
      return new ConflictError('domain_already_used', 'One of the domains is already used by another organization.');
    default:
      return err;
  }
}

function newDomains(deps: ManagementDeps, domains: readonly DomainInput[]): NewDomain[] {
  return domains.map((d) => ({
    id: deps.ids(ID_PREFIX.organizationDomain),
    domain: d.domain,
    state: d.state,
    // A pending domain is proven by a DNS TXT record holding this token.
    verificationStrategy: d.state === 'pending' ? 'dns' : 'manual',
    verificationToken: d.state === 'pending' ? deps.random.bytes(18).toString('base64url') : null,
  }));
}

export async function createOrganization(deps: ManagementDeps, ctx: AuditContext, body: unknown): Promise<Organization> {
  const input = parseOrganizationCreate(body);
  try {
    return await deps.storage.transaction(async (tx) => {
      const org = await tx.organizations.create({
        id: deps.ids(ID_PREFIX.organization),
        name: input.name,
        externalId: input.externalId,
        metadata: input.metadata,
        allowProfilesOutsideOrganization: input.allowProfilesOutsideOrganization,
        domains: newDomains(deps, input.domains),
        at: deps.clock.now(),
      });
      await recordEvent(tx, deps, ctx, 'organization.created', org.id, formatOrganization(org));
      return org;
    });
  } catch (err) {
    throw translateUnique(err);
  }
}

export async function getOrganization(deps: ManagementDeps, id: string): Promise<Organization> {
  const org = await deps.storage.organizations.get(id);
  if (!org) throw new NotFoundError('Organization', id);
  return org;
}

export async function getOrganizationByExternalId(deps: ManagementDeps, externalId: string): Promise<Organization> {
  const org = await deps.storage.organizations.getByExternalId(externalId);
  if (!org) throw new NotFoundError('Organization with external_id', externalId);
  return org;
}

export async function listOrganizations(deps: ManagementDeps, query: Record<string, unknown>): Promise<Page<Organization>> {
  const page = parsePageRequest(query);
  return deps.storage.organizations.list(page, parseOrganizationFilter(query));
}

export async function updateOrganization(deps: ManagementDeps, ctx: AuditContext, id: string, body: unknown): Promise<Organization> {
  const patch = parseOrganizationUpdate(body);
  const { domains, ...rest } = patch;
  try {
    return await deps.storage.transaction(async (tx) => {
      const org = await tx.organizations.update(id, {
        ...rest,
        ...(domains !== undefined && { domains: newDomains(deps, domains) }),
        at: deps.clock.now(),
      });
      if (!org) throw new NotFoundError('Organization', id);
      await recordEvent(tx, deps, ctx, 'organization.updated', org.id, formatOrganization(org));
      return org;
    });
  } catch (err) {
    throw translateUnique(err);
  }
}

/** Deletes the organization together with the applications it owns and their secrets. */
export async function deleteOrganization(deps: ManagementDeps, ctx: AuditContext, id: string): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const org = await tx.organizations.get(id);
    if (!org || !(await tx.organizations.delete(id))) throw new NotFoundError('Organization', id);
    await recordEvent(tx, deps, ctx, 'organization.deleted', org.id, formatOrganization(org));
  });
}
