/**
 * Row types of the SQL schema, shared by SQLite and PostgreSQL. Timestamps
 * are ISO 8601 UTC text (fixed width, so they sort as text), booleans are
 * 0/1 integers, lists and maps are JSON text, digests are hex: one
 * representation on both dialects means one implementation of every query.
 */
export interface OrganizationsTable {
  id: string;
  name: string;
  external_id: string | null;
  metadata: string;
  allow_profiles_outside_organization: number;
  stripe_customer_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface OrganizationDomainsTable {
  id: string;
  organization_id: string;
  domain: string;
  state: string;
  verification_strategy: string;
  verification_token: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConnectApplicationsTable {
  id: string;
  client_id: string;
  name: string;
  description: string | null;
  scopes: string;
  application_type: string;
  organization_id: string | null;
  is_first_party: number;
  was_dynamically_registered: number;
  uses_pkce: number;
  redirect_uris: string;
  created_at: string;
  updated_at: string;
}

export interface ClientSecretsTable {
  id: string;
  application_id: string;
  digest: string;
  hint: string;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  digest: string;
  hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface IdempotencyKeysTable {
  key: string;
  fingerprint: string;
  status: number | null;
  body: string | null;
  created_at: string;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key: string;
  created_at: string;
  active_from: string;
}

export interface RevokedTokensTable {
  jti: string;
  client_id: string;
  expires_at: string;
}

export interface AuthFailuresTable {
  key: string;
  window_start: string;
  count: number;
}

export interface AuditEventsTable {
  id: string;
  event: string;
  organization_id: string | null;
  data: string;
  context: string;
  created_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database {
  organizations: OrganizationsTable;
  organization_domains: OrganizationDomainsTable;
  connect_applications: ConnectApplicationsTable;
  client_secrets: ClientSecretsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  signing_keys: SigningKeysTable;
  revoked_tokens: RevokedTokensTable;
  auth_failures: AuthFailuresTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
}
