import type { Clock } from './clock.ts';
import { ID_PREFIX, type IdGenerator } from './ids.ts';

/**
 * Audit events: every credential lifecycle change, stored and listable as
 * WorkOS-style events (`GET /events`), and delivered to webhook endpoints
 * (issue #13: the same rows). Never holds a secret, code or token.
 *
 * Names: the WorkOS name where WorkOS has the event (`organization.*`,
 * `organization_membership.*`, `user.created`, `api_key.*`,
 * `authentication.oauth_*`), with `data` in the shape the WorkOS SDK
 * deserializes; Portico's own names for what WorkOS has no event for
 * (Connect applications and secrets, consents, signing keys, OAuth security signals).
 */
export const AUDIT_EVENT_NAMES = [
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organization_membership.created',
  'organization_membership.deleted',
  'user.created',
  'api_key.created',
  'api_key.revoked',
  'authentication.oauth_succeeded',
  'authentication.oauth_failed',
  'connect_application.created',
  'connect_application.updated',
  'connect_application.deleted',
  'connect_application_secret.created',
  'connect_application_secret.deleted',
  'connect_application_secret.expiring',
  'connect_application_secret.expired',
  'authorized_application.granted',
  'authorized_application.deleted',
  'signing_key.created',
  'signing_key.rotated',
  'oauth.client_authentication_failed',
  'oauth.refresh_token_reused',
  'oauth.authorization_code_reused',
] as const;

export type AuditEventName = (typeof AUDIT_EVENT_NAMES)[number];

const KNOWN = new Set<string>(AUDIT_EVENT_NAMES);

export function isAuditEventName(name: string): name is AuditEventName {
  return KNOWN.has(name);
}

/** Who did it, from where. */
export interface AuditContext {
  /** `api_key` (management API), `cli`, `system` (the server itself), `client` (an OAuth client) or `user` (a browser sign-in). */
  readonly actor_type: 'api_key' | 'cli' | 'system' | 'client' | 'user';
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

/** A new event with a fresh `event_…` ID, stamped now: what every recorder stores. */
export function newAuditEvent(
  deps: { readonly ids: IdGenerator; readonly clock: Clock },
  event: AuditEventName,
  organizationId: string | null,
  data: Readonly<Record<string, unknown>>,
  context: AuditContext,
): AuditEvent {
  return { id: deps.ids(ID_PREFIX.auditEvent), event, organizationId, data, context, createdAt: deps.clock.now() };
}
