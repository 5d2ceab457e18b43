import type { Application } from '../../domain/application.ts';
import type { Interaction, SignedInInteraction } from '../../domain/authorization.ts';
import { PageFailure } from '../../domain/errors.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { grantConsent, recordDenied } from '../authorize/events.ts';
import type { OAuthDeps } from '../deps.ts';
import { openUserCode } from './start.ts';

/** What ending a device sign-in needs. */
export type DeviceApprovalDeps = Pick<OAuthDeps, 'config' | 'storage' | 'keyring' | 'clock' | 'ids'>;

const noLongerValid = () => new PageFailure(400, 'This code is no longer valid', 'It has expired or was already used. Start again on your device to get a new code.');

/** Where the browser lands once the user decided (plain pages: they act on nothing). */
export const deviceDonePath = (approved: boolean) => (approved ? '/device/approved' : '/device/denied');

/** The pending device authorization an interaction approves; the page step fails once it is not pending any more. */
async function pendingDevice(deps: DeviceApprovalDeps, interaction: Interaction) {
  const id = interaction.request.deviceAuthorizationId;
  const device = id === null ? null : await deps.storage.deviceAuthorizations.get(id);
  if (!device || device.status !== 'pending' || device.expiresAt <= deps.clock.now()) throw noLongerValid();
  return device;
}

/** What the consent page shows for a device sign-in: the user code, so the user can compare it with their device (RFC 8628 §5.4). */
export async function deviceConsentView(deps: DeviceApprovalDeps, interaction: Interaction): Promise<{ readonly userCode: string }> {
  return { userCode: openUserCode(deps, await pendingDevice(deps, interaction)) };
}

/**
 * The user approved on the consent page: in one transaction the interaction
 * finishes, the consent is recorded (or widened) and the device authorization
 * is approved with that grant, all at most once; the device's next poll
 * redeems it. Nothing is left behind when the code expired meanwhile.
 */
export async function approveDevice(
  deps: DeviceApprovalDeps,
  interaction: SignedInInteraction,
  app: Application,
  organizationId: string | null,
  claims: Readonly<Record<string, string>>,
  meta: RequestMeta,
): Promise<string> {
  const device = await pendingDevice(deps, interaction);
  const now = deps.clock.now();
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.interactions.finish(interaction.id, now))) throw noLongerValid();
    // Issue #13: the same consent and events as a browser sign-in, in this transaction (their deliveries are enqueued with it).
    const key = { userId: interaction.userId, applicationId: app.id, organizationId, resource: device.resource };
    const consent = await grantConsent(tx, deps, meta, app, key, { scopes: device.scopes, claims, at: now });
    const grant = { clientId: app.clientId, userId: interaction.userId, consentId: consent.id, scopes: device.scopes, resource: device.resource, organizationId, claims, authTime: interaction.completedAt ?? now };
    if (!(await tx.deviceAuthorizations.approve(device.id, grant, now))) throw noLongerValid();
  });
  return `${deps.config.issuer}${deviceDonePath(true)}`;
}

/** The user declined (or kept another account): the device's next poll is answered `access_denied`. */
export async function denyDevice(deps: DeviceApprovalDeps, interaction: Interaction, meta: RequestMeta): Promise<string> {
  const now = deps.clock.now();
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.interactions.finish(interaction.id, now))) return;
    const id = interaction.request.deviceAuthorizationId;
    if (id !== null) await tx.deviceAuthorizations.deny(id, now);
    const app = await tx.applications.find(interaction.applicationId);
    if (app) await recordDenied(tx, deps, meta, app, interaction);
  });
  return `${deps.config.issuer}${deviceDonePath(false)}`;
}
