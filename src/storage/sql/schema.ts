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
  /** Issue #10: RFC 7591 / CIMD metadata (JSON), for dynamic clients only. */
  client_metadata: string | null;
  /** CIMD: when the document must be fetched again. */
  metadata_expires_at: string | null;
  /** Dynamic clients: when a token was last issued to them. */
  last_used_at: string | null;
}

export interface ClientRegistrationsTable {
  application_id: string;
  token_digest: string | null;
  client_address: string;
  created_at: string;
}

export interface UsedClientAssertionsTable {
  key: string;
  expires_at: string;
}

export interface ClientSecretsTable {
  id: string;
  application_id: string;
  digest: string;
  hint: string;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
  /** Issue #13: when the secret stops authenticating (null: never). */
  expires_at: string | null;
  /** When the `…expiring` / `…expired` events were emitted (each once). */
  expiring_notified_at: string | null;
  expired_notified_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  digest: string;
  hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Issue #14: dashboard session keys expire; null: never. */
  expires_at: string | null;
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

export interface UsersTable {
  id: string;
  external_id: string;
  email: string;
  email_verified: number;
  first_name: string | null;
  last_name: string | null;
  metadata: string;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

export interface OrganizationMembershipsTable {
  id: string;
  user_id: string;
  organization_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface InteractionsTable {
  id: string;
  application_id: string;
  request: string;
  user_id: string | null;
  organization_id: string | null;
  consent_options: string;
  resume_digest: string | null;
  binding_digest: string | null;
  created_at: string;
  expires_at: string;
  completed_at: string | null;
  resumed_at: string | null;
  finished_at: string | null;
  /** Who started it (domain/client-address.ts); null on rows from before migration 0004. */
  client_address: string | null;
}

export interface UserSessionsTable {
  digest: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface ConsentsTable {
  id: string;
  user_id: string;
  application_id: string;
  organization_key: string;
  resource_key: string;
  granted_scopes: string;
  claims: string;
  created_at: string;
  updated_at: string;
}

interface GrantColumns {
  client_id: string;
  user_id: string;
  consent_id: string;
  scopes: string;
  resource: string | null;
  organization_id: string | null;
  claims: string;
  auth_time: string;
}

export interface AuthorizationCodesTable extends GrantColumns {
  digest: string;
  redirect_uri: string | null;
  nonce: string | null;
  code_challenge: string | null;
  expires_at: string;
  consumed_at: string | null;
  family_id: string | null;
  access_jti: string | null;
  access_exp: string | null;
}

export interface RefreshTokensTable extends GrantColumns {
  id: string;
  digest: string;
  family_id: string;
  created_at: string;
  expires_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
  successor_sealed: string | null;
  access_jti: string;
  access_exp: string;
}

export interface DeviceAuthorizationsTable {
  id: string;
  digest: string;
  user_code_digest: string;
  /** base64 of the AES-GCM sealed user code. */
  user_code_sealed: string;
  application_id: string;
  client_id: string;
  scopes: string;
  resource: string | null;
  client_address: string;
  created_at: string;
  expires_at: string;
  interval_seconds: number;
  last_polled_at: string | null;
  /** `pending` | `approved` | `denied`. */
  status: string;
  decided_at: string | null;
  user_id: string | null;
  consent_id: string | null;
  organization_id: string | null;
  granted_scopes: string | null;
  claims: string | null;
  auth_time: string | null;
  redeemed_at: string | null;
}

/** Issue #13 (migration 0008): webhook endpoints, their subscriptions, the delivery outbox, attempts. */
export interface WebhookEndpointsTable {
  id: string;
  endpoint_url: string;
  /** The signing secret sealed under the server key (base64). */
  secret_sealed: string;
  secret_hint: string;
  status: string;
  /** The subscribed event names as given (JSON), for display; webhook_subscriptions is what matches. */
  events: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookSubscriptionsTable {
  endpoint_id: string;
  event: string;
}

export interface WebhookDeliveriesTable {
  endpoint_id: string;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  window_started_at: string;
  claimed_until: string | null;
  claim_token: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  finished_at: string | null;
  created_at: string;
}

export interface WebhookAttemptsTable {
  endpoint_id: string;
  event_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  duration_ms: number;
}

export interface Database {
  organizations: OrganizationsTable;
  organization_domains: OrganizationDomainsTable;
  connect_applications: ConnectApplicationsTable;
  client_registrations: ClientRegistrationsTable;
  used_client_assertions: UsedClientAssertionsTable;
  client_secrets: ClientSecretsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  signing_keys: SigningKeysTable;
  revoked_tokens: RevokedTokensTable;
  auth_failures: AuthFailuresTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  users: UsersTable;
  organization_memberships: OrganizationMembershipsTable;
  interactions: InteractionsTable;
  user_sessions: UserSessionsTable;
  consents: ConsentsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  device_authorizations: DeviceAuthorizationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
