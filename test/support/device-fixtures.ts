import type { Application } from '../../src/domain/application.ts';
import { ID_PREFIX } from '../../src/domain/ids.ts';
import type { OAuthDeps } from '../../src/oauth/deps.ts';
import { startDeviceAuthorization, type DeviceAuthorizationResponse } from '../../src/oauth/device/start.ts';
import { tokenDigest } from '../../src/oauth/tokens/issue.ts';
import { META } from './grant-fixtures.ts';

/** Issue #11: a device authorization started in process, as `/oauth2/device_authorization` would. */
export async function startDevice(deps: OAuthDeps, app: Application, scope = 'openid offline_access read', resources: string[] = []): Promise<DeviceAuthorizationResponse & { id: string }> {
  const answer = await startDeviceAuthorization(deps, app, { scope, resources }, META);
  const row = await deps.storage.deviceAuthorizations.findByDigest(tokenDigest(deps, answer.device_code));
  if (!row) throw new Error('the device authorization was not stored');
  return { ...answer, id: row.id };
}

/** A user, their consent and the user's decision on a device authorization, stored directly (no pages). */
export async function decideDevice(deps: OAuthDeps, app: Application, device: { id: string }, decision: 'approve' | 'deny', organizationId: string | null = null) {
  const now = deps.clock.now();
  if (decision === 'deny') return { approved: await deps.storage.deviceAuthorizations.deny(device.id, now) };
  const row = (await deps.storage.deviceAuthorizations.get(device.id))!;
  const { user } = await deps.storage.users.upsertByExternalId({ newId: deps.ids(ID_PREFIX.user), externalId: `ext-${deps.ids.random(ID_PREFIX.bare)}`, email: `${deps.ids.random(ID_PREFIX.bare).toLowerCase()}@example.test`, firstName: 'Ada', lastName: 'L', metadata: null, at: now });
  // Approving for an organization means being its member (the token grants check it again).
  const membership = organizationId === null ? null : await deps.storage.memberships.create({ id: deps.ids(ID_PREFIX.membership), userId: user.id, organizationId, at: now });
  const consent = await deps.storage.consents.grant({ userId: user.id, applicationId: app.id, organizationId, resource: row.resource }, { newId: deps.ids(ID_PREFIX.authorizedApplication), scopes: row.scopes, claims: {}, at: now });
  const grant = { clientId: app.clientId, userId: user.id, consentId: consent.id, scopes: row.scopes, resource: row.resource, organizationId, claims: {}, authTime: now };
  return { approved: await deps.storage.deviceAuthorizations.approve(device.id, grant, now), user, consent, membership };
}
