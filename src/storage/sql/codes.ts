import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCode } from '../../domain/authorization.ts';
import type { AuthorizationCodeRepository, ConsumeCodeResult } from '../port.ts';
import { grantColumns, grantFields } from './grant-rows.ts';
import { fromIso, fromIsoOrNull, toIso } from './rows.ts';
import type { AuthorizationCodesTable, Database } from './schema.ts';

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

