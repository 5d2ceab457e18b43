import type { Application } from '../../domain/application.ts';
import { newAuditEvent, type AuditContext } from '../../domain/audit.ts';
import type { Consent, Interaction } from '../../domain/authorization.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { isSubset } from '../../domain/scopes.ts';
import type { ConsentKey, Repositories } from '../../storage/port.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { OAuthDeps } from '../deps.ts';

/**
 * Issue #13: the events of a browser authorization, recorded in the
 * transaction that finishes it (so their webhook deliveries are enqueued with
 * it). `authentication.oauth_*` carry the WorkOS AuthenticationEvent shape
 * (`type`, `status`, `user_id`, `email`, `ip_address`, `user_agent`, `error`);
 * `authorized_application.granted` is Portico's own (consent given or widened).
 */
type EventDeps = Pick<OAuthDeps, 'ids' | 'clock'>;

function userContext(userId: string | null, meta: RequestMeta): AuditContext {
  return { actor_type: 'user', actor_id: userId, ip: meta.ip, request_id: meta.requestId };
}

async function authenticationData(tx: Repositories, userId: string | null, app: Application, meta: RequestMeta, status: 'succeeded' | 'failed') {
  const user = userId === null ? null : await tx.users.get(userId);
  return { type: 'oauth', status, user_id: userId, email: user?.email ?? null, ip_address: meta.ip, user_agent: meta.userAgent, client_id: app.clientId };
}

/** A code was issued: the sign-in succeeded, and the consent was granted when it is new or wider than before. */
export async function recordAuthorized(tx: Repositories, deps: EventDeps, meta: RequestMeta, app: Application, before: Consent | null, consent: Consent): Promise<void> {
  const ctx = userContext(consent.userId, meta);
  if (!before || !isSubset(consent.grantedScopes, before.grantedScopes)) {
    const data = {
      object: 'authorized_connect_application',
      id: consent.id,
      user_id: consent.userId,
      application_id: app.id,
      client_id: app.clientId,
      organization_id: consent.organizationId,
      granted_scopes: consent.grantedScopes,
      ...(consent.resource !== null && { oauth_resource: consent.resource }),
    };
    await tx.audit.record(newAuditEvent(deps, 'authorized_application.granted', consent.organizationId, data, ctx));
  }
  await tx.audit.record(newAuditEvent(deps, 'authentication.oauth_succeeded', consent.organizationId, await authenticationData(tx, consent.userId, app, meta, 'succeeded'), ctx));
}

/**
 * In `tx`: the consent an approval gives (recorded, or widened) and its events, for a code (flow.ts) and a
 * device sign-in (device/approve.ts) alike.
 */
export async function grantConsent(
  tx: Repositories,
  deps: EventDeps,
  meta: RequestMeta,
  app: Application,
  key: ConsentKey,
  grant: { readonly scopes: readonly string[]; readonly claims: Readonly<Record<string, string>>; readonly at: Date },
): Promise<Consent> {
  const before = await tx.consents.find(key);
  const consent = await tx.consents.grant(key, { newId: deps.ids(ID_PREFIX.authorizedApplication), scopes: grant.scopes, claims: grant.claims, at: grant.at });
  await recordAuthorized(tx, deps, meta, app, before, consent);
  return consent;
}

/** The user declined (or kept another session): the authorization failed with access_denied. */
export async function recordDenied(tx: Repositories, deps: EventDeps, meta: RequestMeta, app: Application, interaction: Interaction): Promise<void> {
  const data = { ...(await authenticationData(tx, interaction.userId, app, meta, 'failed')), error: { code: 'access_denied', message: 'The user declined the request.' } };
  await tx.audit.record(newAuditEvent(deps, 'authentication.oauth_failed', interaction.organizationId, data, userContext(interaction.userId, meta)));
}
