import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCode, RefreshToken } from '../../domain/authorization.ts';
import type { AuthorizationCodeRepository, ConsumeCodeResult, IssuedAccessToken, RefreshTokenRepository, RotateResult } from '../port.ts';
import { atomically, fromIso, fromIsoOrNull, parseJson, toIso } from './rows.ts';
import type { AuthorizationCodesTable, Database, RefreshTokensTable } from './schema.ts';

type GrantRow = Pick<Selectable<RefreshTokensTable>, 'client_id' | 'user_id' | 'consent_id' | 'scopes' | 'resource' | 'organization_id' | 'claims' | 'auth_time'>;

function grantFields(r: GrantRow) {
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

function grantColumns(g: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'> | Omit<AuthorizationCode, 'consumedAt' | 'familyId' | 'accessJti' | 'accessExp'>): GrantRow {
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

function toCode(r: Selectable<AuthorizationCodesTable>): AuthorizationCode {
  return {
    ...grantFields(r),
    digest: r.digest,
    redirectUri: r.redirect_uri,
    nonce: r.nonce,
    codeChallenge: r.code_challenge,
    expiresAt: fromIso(r.expires_at),
    consumedAt: fromIsoOrNull(r.consumed_at),
    familyId: r.family_id,
    accessJti: r.access_jti,
    accessExp: fromIsoOrNull(r.access_exp),
  };
}

function toRefresh(r: Selectable<RefreshTokensTable>): RefreshToken {
  return {
    ...grantFields(r),
    id: r.id,
    digest: r.digest,
    familyId: r.family_id,
    createdAt: fromIso(r.created_at),
    expiresAt: fromIso(r.expires_at),
    rotatedAt: fromIsoOrNull(r.rotated_at),
    revokedAt: fromIsoOrNull(r.revoked_at),
    accessJti: r.access_jti,
    accessExp: fromIso(r.access_exp),
  };
}

export class SqlAuthorizationCodes implements AuthorizationCodeRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(code: Omit<AuthorizationCode, 'consumedAt' | 'familyId' | 'accessJti' | 'accessExp'>): Promise<void> {
    await this.#db
      .insertInto('authorization_codes')
      .values({
        ...grantColumns(code),
        digest: code.digest,
        redirect_uri: code.redirectUri,
        nonce: code.nonce,
        code_challenge: code.codeChallenge,
        expires_at: toIso(code.expiresAt),
        consumed_at: null,
        family_id: null,
        access_jti: null,
        access_exp: null,
      })
      .execute();
  }

  async consume(digest: string, clientId: string, at: Date, issues: { familyId: string; accessJti: string; accessExp: Date }): Promise<ConsumeCodeResult> {
    // One conditional statement: of any number of concurrent exchanges exactly one wins (security bar I3),
    // and only the client the code was issued to can spend it.
    const row = await this.#db
      .updateTable('authorization_codes')
      .set({ consumed_at: toIso(at), family_id: issues.familyId, access_jti: issues.accessJti, access_exp: toIso(issues.accessExp) })
      .where('digest', '=', digest)
      .where('client_id', '=', clientId)
      .where('consumed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row) return { outcome: 'consumed', code: toCode(row) };
    const used = await this.#db.selectFrom('authorization_codes').selectAll().where('digest', '=', digest).executeTakeFirst();
    if (!used) return { outcome: 'unknown' };
    return used.client_id === clientId ? { outcome: 'reused', code: toCode(used) } : { outcome: 'foreign' };
  }

  async purge(before: Date): Promise<number> {
    const r = await this.#db.deleteFrom('authorization_codes').where('expires_at', '<', toIso(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class SqlRefreshTokens implements RefreshTokenRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  #values(t: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>) {
    return {
      ...grantColumns(t),
      id: t.id,
      digest: t.digest,
      family_id: t.familyId,
      created_at: toIso(t.createdAt),
      expires_at: toIso(t.expiresAt),
      rotated_at: null,
      revoked_at: null,
      successor_sealed: null,
      access_jti: t.accessJti,
      access_exp: toIso(t.accessExp),
    };
  }

  async create(t: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>): Promise<void> {
    await this.#db.insertInto('refresh_tokens').values(this.#values(t)).execute();
  }

  async find(digest: string): Promise<RefreshToken | null> {
    const row = await this.#db.selectFrom('refresh_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
    return row ? toRefresh(row) : null;
  }

  async rotate(digest: string, successor: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>, successorSealed: Buffer | null, at: Date, graceMs: number): Promise<RotateResult> {
    const now = toIso(at);
    return atomically(this.#db, async (trx) => {
      const rotated = await trx
        .updateTable('refresh_tokens')
        .set({ rotated_at: now, successor_sealed: graceMs > 0 && successorSealed ? successorSealed.toString('base64') : null })
        .where('digest', '=', digest)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (rotated) {
        await trx.insertInto('refresh_tokens').values(this.#values(successor)).execute();
        return { outcome: 'rotated' };
      }
      const row = await trx.selectFrom('refresh_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
      if (!row) return { outcome: 'unknown' };
      const previous = toRefresh(row);
      if (previous.rotatedAt === null && previous.revokedAt === null) return { outcome: 'unknown' }; // expired, never used
      if (
        graceMs > 0 &&
        previous.revokedAt === null &&
        row.successor_sealed !== null &&
        previous.rotatedAt !== null &&
        at.getTime() - previous.rotatedAt.getTime() <= graceMs
      ) {
        return { outcome: 'grace', previous, successorSealed: Buffer.from(row.successor_sealed, 'base64') };
      }
      return { outcome: 'reused', previous };
    });
  }

  async #revoke(column: 'family_id' | 'consent_id', values: readonly string[], at: Date): Promise<IssuedAccessToken[]> {
    if (values.length === 0) return [];
    const now = toIso(at);
    await this.#db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now, successor_sealed: null })
      .where(column, 'in', [...values])
      .where('revoked_at', 'is', null)
      .execute();
    // Only access tokens that can still be alive need a revocation entry (a long family has thousands of dead ones).
    const rows = await this.#db
      .selectFrom('refresh_tokens')
      .select(['access_jti', 'access_exp'])
      .where(column, 'in', [...values])
      .where('access_exp', '>', now)
      .execute();
    return rows.map((r) => ({ jti: r.access_jti, exp: fromIso(r.access_exp) }));
  }

  async replaceAccess(digest: string, access: IssuedAccessToken): Promise<IssuedAccessToken | null> {
    return atomically(this.#db, async (trx) => {
      const row = await trx.selectFrom('refresh_tokens').select(['access_jti', 'access_exp']).where('digest', '=', digest).where('revoked_at', 'is', null).executeTakeFirst();
      if (!row) return null;
      await trx.updateTable('refresh_tokens').set({ access_jti: access.jti, access_exp: toIso(access.exp) }).where('digest', '=', digest).execute();
      return { jti: row.access_jti, exp: fromIso(row.access_exp) };
    });
  }

  revokeFamily(familyId: string, at: Date): Promise<IssuedAccessToken[]> {
    return this.#revoke('family_id', [familyId], at);
  }

  revokeForConsents(consentIds: readonly string[], at: Date): Promise<IssuedAccessToken[]> {
    return this.#revoke('consent_id', consentIds, at);
  }

  async purge(before: Date): Promise<number> {
    const r = await this.#db.deleteFrom('refresh_tokens').where('expires_at', '<', toIso(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
