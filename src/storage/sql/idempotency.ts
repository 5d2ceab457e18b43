import type { Kysely } from 'kysely';
import type { IdempotencyRecord, IdempotencyRepository } from '../port.ts';
import { atomically, fromIso, toIso } from './rows.ts';
import type { Database } from './schema.ts';

export class SqlIdempotency implements IdempotencyRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async claim(key: Buffer, fingerprint: Buffer, at: Date, expiredBefore: Date): Promise<IdempotencyRecord | null> {
    const k = key.toString('hex');
    return atomically(this.#db, async (trx) => {
      await trx.deleteFrom('idempotency_keys').where('key', '=', k).where('created_at', '<', toIso(expiredBefore)).execute();
      const inserted = await trx
        .insertInto('idempotency_keys')
        .values({ key: k, fingerprint: fingerprint.toString('hex'), status: null, body: null, created_at: toIso(at) })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) return null;
      const row = await trx.selectFrom('idempotency_keys').selectAll().where('key', '=', k).executeTakeFirstOrThrow();
      return {
        fingerprint: Buffer.from(row.fingerprint, 'hex'),
        status: row.status,
        sealedBody: row.body === null ? null : Buffer.from(row.body, 'base64'),
        createdAt: fromIso(row.created_at),
      };
    });
  }

  async complete(key: Buffer, status: number, sealedBody: Buffer): Promise<void> {
    await this.#db
      .updateTable('idempotency_keys')
      .set({ status, body: sealedBody.toString('base64') })
      .where('key', '=', key.toString('hex'))
      .execute();
  }

  async release(key: Buffer): Promise<void> {
    await this.#db.deleteFrom('idempotency_keys').where('key', '=', key.toString('hex')).execute();
  }

  async purge(olderThan: Date): Promise<number> {
    const r = await this.#db.deleteFrom('idempotency_keys').where('created_at', '<', toIso(olderThan)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
