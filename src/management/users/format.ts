import type { Consent } from '../../domain/authorization.ts';
import type { Application } from '../../domain/application.ts';
import { formatUser } from '../../domain/user.ts';
import type { Membership } from '../../storage/port.ts';
import { formatApplication } from '../applications/format.ts';

export { formatUser };

/** `organization_membership`: Portico has one role, `member`. */
export function formatMembership(m: Membership) {
  return {
    object: 'organization_membership' as const,
    id: m.id,
    user_id: m.userId,
    organization_id: m.organizationId,
    organization_name: m.organizationName,
    status: m.status,
    directory_managed: false,
    custom_attributes: {},
    role: { slug: 'member' },
    user: formatUser(m.user),
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}

/** `authorized_connect_application`: a user's consent with the application it names. */
export function formatAuthorizedApplication(c: Consent & { application: Application }) {
  return {
    object: 'authorized_connect_application' as const,
    id: c.id,
    granted_scopes: c.grantedScopes,
    ...(c.resource !== null && { oauth_resource: c.resource }),
    application: formatApplication(c.application),
  };
}
