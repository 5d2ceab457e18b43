import type { AuditContext } from '../../domain/audit.ts';
import { BadRequestError, NotFoundError, UniqueViolationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { randomToken } from '../../domain/random.ts';
import { parseCompleteLogin } from '../../domain/user.ts';
import { recordEvent } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatUser } from '../users/format.ts';

/** Two first logins of one new external user at once: the loser of the insert race updates instead. */
async function retryOnce<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UniqueViolationError && err.column === 'external_id') return fn();
    throw err;
  }
}

/**
 * `POST /authkit/oauth2/complete` (Standalone Connect): the company vouches
 * for the user of a pending authorization. The user is upserted by external
 * ID, the `external_auth_id` is spent (single use), and the answer is where
 * the browser resumes the flow: a one-time link, stored only as a digest.
 */
export async function completeExternalAuth(deps: ManagementDeps, ctx: AuditContext, body: unknown): Promise<{ redirect_uri: string }> {
  const input = parseCompleteLogin(body);
  const resumeToken = randomToken(deps.random);
  const at = deps.clock.now();
  const interaction = await deps.storage.interactions.get(input.externalAuthId);
  if (!interaction || interaction.expiresAt <= at) throw new NotFoundError('External auth session', input.externalAuthId);
  if (interaction.completedAt !== null) {
    throw new BadRequestError('external_auth_session_already_completed', 'This external_auth_id was already completed; start a new authorization.');
  }
  try {
    await retryOnce(() => deps.storage.transaction(async (tx) => {
      const { user, created } = await tx.users.upsertByExternalId({
        newId: deps.ids(ID_PREFIX.user),
        externalId: input.user.externalId,
        email: input.user.email,
        firstName: input.user.firstName,
        lastName: input.user.lastName,
        metadata: input.user.metadata,
        at,
      });
      const result = await tx.interactions.complete(interaction.id, {
        userId: user.id,
        consentOptions: input.consentOptions,
        resumeDigest: deps.keyring.digest('session', resumeToken).toString('hex'),
        at,
      });
      if (result === 'not_found') throw new NotFoundError('External auth session', input.externalAuthId);
      if (result === 'already_completed') {
        throw new BadRequestError('external_auth_session_already_completed', 'This external_auth_id was already completed; start a new authorization.');
      }
      if (created) await recordEvent(tx, deps, ctx, 'user.created', null, formatUser(user));
    }));
  } catch (err) {
    if (err instanceof UniqueViolationError && err.column === 'email') {
      const existing = await deps.storage.users.findByExternalId(input.user.externalId);
      throw existing
        ? new BadRequestError('email_change_not_allowed', 'Another user already has this email address.')
        : new BadRequestError('email_not_available', 'This email address belongs to another user; emails are unique.');
    }
    throw err;
  }
  return { redirect_uri: `${deps.issuer}/oauth2/authorize/complete?state=${resumeToken}` };
}
