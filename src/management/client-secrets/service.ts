import type { AuditContext } from '../../domain/audit.ts';
import { generateClientSecret, MAX_SECRETS_PER_APPLICATION, parseSecretExpiry, secretHint } from '../../domain/client-secret.ts';
import { NotFoundError, UnprocessableError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { ClientSecret } from '../../storage/port.ts';
import { findApplication } from '../applications/service.ts';
import { recordEvent } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatClientSecret } from './format.ts';

/** Event payload of every secret event: the list form (never the secret) plus the owning application. */
export const secretEventData = (s: ClientSecret) => ({ ...formatClientSecret(s), application_id: s.applicationId });

/**
 * Mints a secret for an application, optionally expiring (issue #13). The
 * plaintext exists only in the value returned here (the 201 body); storage
 * receives its keyed digest.
 */
export async function createClientSecret(deps: ManagementDeps, ctx: AuditContext, idOrClientId: string, body: unknown = {}): Promise<{ secret: ClientSecret; plaintext: string }> {
  const now = deps.clock.now();
  const expiresAt = parseSecretExpiry(body, now, deps.secretMaxLifetimeDays);
  const app = await findApplication(deps, idOrClientId);
  const plaintext = generateClientSecret(deps.random);
  const result = await deps.storage.transaction(async (tx) => {
    const r = await tx.secrets.createCapped(
      {
        id: deps.ids(ID_PREFIX.secret),
        applicationId: app.id,
        digest: deps.keyring.digest('client-secret', plaintext),
        hint: secretHint(plaintext),
        expiresAt,
        at: now,
      },
      MAX_SECRETS_PER_APPLICATION,
    );
    if (r.ok) await recordEvent(tx, deps, ctx, 'connect_application_secret.created', app.organizationId, secretEventData(r.secret));
    return r;
  });
  if (result.ok) return { secret: result.secret, plaintext };
  if (result.reason === 'application_not_found') throw new NotFoundError('Application', idOrClientId);
  throw new UnprocessableError(
    'client_secret_limit_reached',
    `An application can have at most ${MAX_SECRETS_PER_APPLICATION} client secrets. Delete one before creating another.`,
  );
}

export async function listClientSecrets(deps: ManagementDeps, idOrClientId: string): Promise<ClientSecret[]> {
  const app = await findApplication(deps, idOrClientId);
  return deps.storage.secrets.listByApplication(app.id);
}

/** Revokes a secret: from the moment this returns it authenticates nothing. */
export async function deleteClientSecret(deps: ManagementDeps, ctx: AuditContext, id: string): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const deleted = await tx.secrets.delete(id);
    if (!deleted) throw new NotFoundError('Client secret', id);
    const app = await tx.applications.find(deleted.applicationId);
    await recordEvent(tx, deps, ctx, 'connect_application_secret.deleted', app?.organizationId ?? null, secretEventData(deleted));
  });
}
