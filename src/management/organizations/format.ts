import type { Organization, OrganizationDomain } from '../../domain/organization.ts';

function formatDomain(d: OrganizationDomain) {
  return {
    object: 'organization_domain' as const,
    id: d.id,
    organization_id: d.organizationId,
    domain: d.domain,
    state: d.state,
    verification_strategy: d.verificationStrategy,
    ...(d.verificationToken !== null && { verification_token: d.verificationToken, verification_prefix: 'portico-domain-verification' }),
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

/** Organization -> the OpenAPI `Organization` object. */
export function formatOrganization(org: Organization) {
  return {
    object: 'organization' as const,
    id: org.id,
    name: org.name,
    allow_profiles_outside_organization: org.allowProfilesOutsideOrganization,
    domains: org.domains.map(formatDomain),
    metadata: org.metadata,
    external_id: org.externalId,
    // Omitted when unset, as the SDK's deserializer expects.
    ...(org.stripeCustomerId !== null && { stripe_customer_id: org.stripeCustomerId }),
    created_at: org.createdAt.toISOString(),
    updated_at: org.updatedAt.toISOString(),
  };
}
