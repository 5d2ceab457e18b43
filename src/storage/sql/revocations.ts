import type { Kysely } from 'kysely';
import type { RevocationRepository } from '../port.ts';
import { toIso, unstorable } from './rows.ts';
import type { Database } from './schema.ts';

export class SqlRevocations implements RevocationRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async revoke(jti: string, clientId: string, expiresAt: Date): Promise<void> {
    await this.#db
      .insertInto('revoked_tokens')
      .values({ jti, client_id: clientId, expires_at: toIso(expiresAt) })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }

  async revokeMany(tokens: readonly { readonly jti: string; readonly exp: Date }[], clientId: string): Promise<void> {
    for (let i = 0; i < tokens.length; i += 500) {
      const chunk = tokens.slice(i, i + 500).map((t) => ({ jti: t.jti, client_id: clientId, expires_at: toIso(t.exp) }));
      await this.#db.insertInto('revoked_tokens').values(chunk).onConflict((oc) => oc.column('jti').doNothing()).execute();
    }
  }

  async anyRevoked(jtis: readonly string[]): Promise<boolean> {
    const keys = jtis.filter((j) => !unstorable(j));
    if (keys.length === 0) return false;
    const row = await this.#db.selectFrom('revoked_tokens').select('jti').where('jti', 'in', keys).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async purge(now: Date): Promise<number> {
    const r = await this.#db.deleteFrom('revoked_tokens').where('expires_at', '<', toIso(now)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
