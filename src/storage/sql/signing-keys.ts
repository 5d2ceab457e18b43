import type { Kysely } from 'kysely';
import type { PublicJwk, SigningAlg, StoredSigningKey } from '../../domain/signing-key.ts';
import type { SigningKeyRepository } from '../port.ts';
import { fromIso, parseJson, toIso } from './rows.ts';
import type { Database } from './schema.ts';

export class SqlSigningKeys implements SigningKeyRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async list(): Promise<StoredSigningKey[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('active_from').orderBy('kid').execute();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg as SigningAlg,
      publicJwk: parseJson<PublicJwk>(r.public_jwk),
      sealedPrivateKey: Buffer.from(r.private_key, 'base64'),
      createdAt: fromIso(r.created_at),
      activeFrom: fromIso(r.active_from),
    }));
  }

  async insert(key: StoredSigningKey): Promise<void> {
    await this.#db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        alg: key.alg,
        public_jwk: JSON.stringify(key.publicJwk),
        private_key: key.sealedPrivateKey.toString('base64'),
        created_at: toIso(key.createdAt),
        active_from: toIso(key.activeFrom),
      })
      .execute();
  }

  async delete(kids: readonly string[]): Promise<number> {
    if (kids.length === 0) return 0;
    const r = await this.#db.deleteFrom('signing_keys').where('kid', 'in', [...kids]).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
