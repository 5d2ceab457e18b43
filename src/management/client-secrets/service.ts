import { generateClientSecret, MAX_SECRETS_PER_APPLICATION, secretHint } from '../../domain/client-secret.ts';
import { NotFoundError, UnprocessableError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { ClientSecret } from '../../storage/port.ts';
import { findApplication } from '../applications/service.ts';
import type { ManagementDeps } from '../deps.ts';

/**
 * Mints a secret for an application. The plaintext exists only in the value
 * returned here (the 201 body); storage receives its keyed digest.
 */
export async function createClientSecret(deps: ManagementDeps, idOrClientId: string): Promise<{ secret: ClientSecret; plaintext: string }> {
  const app = await findApplication(deps, idOrClientId);
  const plaintext = generateClientSecret();
  const result = await deps.storage.secrets.createCapped(
    {
      id: deps.ids(ID_PREFIX.secret),
      applicationId: app.id,
      digest: deps.keyring.digest('client-secret', plaintext),
      hint: secretHint(plaintext),
      at: deps.clock.now(),
    },
    MAX_SECRETS_PER_APPLICATION,
  );
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
export async function deleteClientSecret(deps: ManagementDeps, id: string): Promise<void> {
  if (!(await deps.storage.secrets.delete(id))) throw new NotFoundError('Client secret', id);
}
