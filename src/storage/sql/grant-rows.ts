import type { Selectable } from 'kysely';
import type { AuthorizationCode, RefreshToken } from '../../domain/authorization.ts';
import { fromIso, parseJson, toIso } from './rows.ts';
import type { RefreshTokensTable } from './schema.ts';

/** The columns codes and refresh tokens share: what the grant is (who, which client, what). */
export type GrantRow = Pick<Selectable<RefreshTokensTable>, 'client_id' | 'user_id' | 'consent_id' | 'scopes' | 'resource' | 'organization_id' | 'claims' | 'auth_time'>;

export function grantFields(r: GrantRow) {
  return {
    clientId: r.client_id,
    userId: r.user_id,
    consentId: r.consent_id,
    scopes: parseJson<string[]>(r.scopes),
    resource: r.resource,
    organizationId: r.organization_id,
    claims: parseJson<Record<string, string>>(r.claims),
    authTime: fromIso(r.auth_time),
  };
}

export function grantColumns(g: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'> | Omit<AuthorizationCode, 'consumedAt' | 'familyId' | 'accessJti' | 'accessExp'>): GrantRow {
  return {
    client_id: g.clientId,
    user_id: g.userId,
    consent_id: g.consentId,
    scopes: JSON.stringify(g.scopes),
    resource: g.resource,
    organization_id: g.organizationId,
    claims: JSON.stringify(g.claims),
    auth_time: toIso(g.authTime),
  };
}

