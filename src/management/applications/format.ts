import type { Application } from '../../domain/application.ts';

/** Application -> the OpenAPI `ConnectApplication` (one of its four shapes, reference §1.1). */
export function formatApplication(app: Application) {
  const common = {
    object: 'connect_application' as const,
    id: app.id,
    client_id: app.clientId,
    name: app.name,
    description: app.description,
    scopes: app.scopes,
    created_at: app.createdAt.toISOString(),
    updated_at: app.updatedAt.toISOString(),
  };
  if (app.type === 'm2m') return { ...common, application_type: 'm2m' as const, organization_id: app.organizationId };
  const oauth = {
    ...common,
    application_type: 'oauth' as const,
    redirect_uris: app.redirectUris.map((u) => ({ uri: u.uri, default: u.default })),
    uses_pkce: app.usesPkce,
  };
  if (app.isFirstParty) return { ...oauth, is_first_party: true as const };
  if (app.wasDynamicallyRegistered) return { ...oauth, is_first_party: false as const, was_dynamically_registered: true as const };
  return { ...oauth, is_first_party: false as const, was_dynamically_registered: false as const, organization_id: app.organizationId };
}
