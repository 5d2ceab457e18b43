/**
 * Audit events: every credential lifecycle change, stored and listable as
 * WorkOS-style events (`GET /events`). Never holds a secret, code or token.
 */
export type AuditEventName =
  | 'organization.created'
  | 'organization.updated'
  | 'organization.deleted'
  | 'connect_application.created'
  | 'connect_application.updated'
  | 'connect_application.deleted'
  | 'connect_application_secret.created'
  | 'connect_application_secret.deleted'
  | 'signing_key.created'
  | 'signing_key.rotated'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'oauth.client_authentication_failed'
  | 'user.created'
  | 'organization_membership.created'
  | 'organization_membership.deleted'
  | 'authorized_application.deleted'
  | 'oauth.refresh_token_reused'
  | 'oauth.authorization_code_reused';

/** Who did it, from where. */
export interface AuditContext {
  /** `api_key` (management API), `cli`, `system` (the server itself) or `client` (an OAuth client). */
  readonly actor_type: 'api_key' | 'cli' | 'system' | 'client';
  readonly actor_id: string | null;
  readonly ip: string | null;
  readonly request_id: string | null;
}

export interface AuditEvent {
  readonly id: string;
  readonly event: AuditEventName;
  readonly organizationId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly context: AuditContext;
  readonly createdAt: Date;
}

export interface AuditFilter {
  readonly events?: readonly string[];
  readonly organizationId?: string;
  readonly rangeStart?: Date;
  readonly rangeEnd?: Date;
}

export const SYSTEM_CONTEXT: AuditContext = { actor_type: 'system', actor_id: null, ip: null, request_id: null };
export const CLI_CONTEXT: AuditContext = { actor_type: 'cli', actor_id: null, ip: null, request_id: null };
