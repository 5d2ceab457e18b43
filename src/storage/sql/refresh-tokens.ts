import type { Kysely, Selectable } from 'kysely';
import type { RefreshToken } from '../../domain/authorization.ts';
import type { IssuedAccessToken, RefreshTokenRepository, RotateResult } from '../port.ts';
import { grantColumns, grantFields } from './grant-rows.ts';
import { atomically, fromIso, fromIsoOrNull, toIso } from './rows.ts';
import type { Database, RefreshTokensTable } from './schema.ts';

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
