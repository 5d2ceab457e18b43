import type { Application } from '../../domain/application.ts';
import type { AuditContext } from '../../domain/audit.ts';
import type { Consent } from '../../domain/authorization.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { parsePageRequest, type Page } from '../../domain/pagination.ts';
import type { Repositories } from '../../storage/port.ts';
import { recordEvent } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';

/** A consent with the application it names, as the authorized-application lists show it. */
export type AuthorizedApplication = Consent & { readonly application: Application };

/**
 * Attaches each consent's application (a deleted application takes its
 * consents with it), reading each application once: an organization's page
 * names the same few applications for many users.
 */
export async function withApplications(deps: ManagementDeps, consents: Page<Consent>): Promise<Page<AuthorizedApplication>> {
  const ids = [...new Set(consents.data.map((c) => c.applicationId))];
  const found = new Map(await Promise.all(ids.map(async (id) => [id, await deps.storage.applications.find(id)] as const)));
  const data: AuthorizedApplication[] = [];
  for (const c of consents.data) {
    const application = found.get(c.applicationId);
    if (application) data.push({ ...c, application });
  }
  return { ...consents, data };
}

/**
 * Deletes the authorized application `idOrClientId` (application ID or client
 * ID) among the consents `select` finds for it: 404 when the application is
 * unknown or nothing was authorized. Otherwise, in one transaction, every
 * refresh token issued under them and their access tokens are revoked first
 * (the FK cascade would delete the rows that name those access tokens), then
 * the consents go, taking approved-but-unredeemed device authorizations with
 * them. Tokens exchanged from them carry their `sid`, so introspection and
 * userinfo refuse those at once too. The next authorization asks for consent again.
 */
export async function deleteAuthorizedApplications(
  deps: ManagementDeps,
  ctx: AuditContext,
  idOrClientId: string,
  select: (tx: Repositories, app: Application) => Promise<Consent[]>,
  event: { readonly organizationId: string | null; readonly data: (consents: readonly Consent[]) => Readonly<Record<string, unknown>> },
): Promise<void> {
  const app = await deps.storage.applications.find(idOrClientId);
  if (!app) throw new NotFoundError('Application', idOrClientId);
  await deps.storage.transaction(async (tx) => {
    const consents = await select(tx, app);
    if (consents.length === 0) throw new NotFoundError('Authorized application', idOrClientId);
    const ids = consents.map((c) => c.id);
    await tx.revocations.revokeMany(await tx.refreshTokens.revokeForConsents(ids, deps.clock.now()), app.clientId);
    await tx.consents.deleteMany(ids);
    await recordEvent(tx, deps, ctx, 'authorized_application.deleted', event.organizationId, { ...event.data(consents), application_id: app.id, consent_ids: ids });
  });
}

async function organization(deps: ManagementDeps, id: string): Promise<void> {
  if (!(await deps.storage.organizations.get(id))) throw new NotFoundError('Organization', id);
}

/**
 * `GET /organizations/:id/authorized_applications` (WorkOS: "Connect
 * applications that users in the organization have authorized"): the
 * consents given for this organization, paginated like the per-user list,
 * each naming its `user_id`.
 */
export async function listOrganizationAuthorizedApplications(deps: ManagementDeps, organizationId: string, query: Record<string, unknown>): Promise<Page<AuthorizedApplication>> {
  const page = parsePageRequest(query);
  await organization(deps, organizationId);
  return withApplications(deps, await deps.storage.consents.listByOrganization(organizationId, page));
}

/**
 * `DELETE /organizations/:id/authorized_applications/:application_id`
 * (Portico's counterpart of the per-user delete): withdraws every consent the
 * organization's members gave that application for it, and what those
 * consents produced.
 */
export async function deleteOrganizationAuthorizedApplication(deps: ManagementDeps, ctx: AuditContext, organizationId: string, idOrClientId: string): Promise<void> {
  await organization(deps, organizationId);
  await deleteAuthorizedApplications(deps, ctx, idOrClientId, (tx, app) => tx.consents.findForOrganization(organizationId, app.id), {
    organizationId,
    data: (consents) => ({ organization_id: organizationId, user_ids: [...new Set(consents.map((c) => c.userId))] }),
  });
}
