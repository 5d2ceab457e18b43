import type { Kysely, Selectable } from 'kysely';
import type { ApiKey, ApiKeyRepository } from '../port.ts';
import { fromIso, fromIsoOrNull, toIso } from './rows.ts';
import type { ApiKeysTable, Database } from './schema.ts';

function toApiKey(row: Omit<Selectable<ApiKeysTable>, 'digest' | 'revoked_at'>): ApiKey {
  return {
    id: row.id,
    name: row.name,
    hint: row.hint,
    createdAt: fromIso(row.created_at),
    lastUsedAt: fromIsoOrNull(row.last_used_at),
    expiresAt: fromIsoOrNull(row.expires_at),
  };
}

const COLUMNS = ['id', 'name', 'hint', 'created_at', 'last_used_at', 'expires_at'] as const;

export class SqlApiKeys implements ApiKeyRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(key: { id: string; name: string; digest: Buffer; hint: string; at: Date; expiresAt?: Date | null }): Promise<ApiKey> {
    const row = await this.#db
      .insertInto('api_keys')
      .values({
        id: key.id,
        name: key.name,
        digest: key.digest.toString('hex'),
        hint: key.hint,
        created_at: toIso(key.at),
        last_used_at: null,
        revoked_at: null,
        expires_at: key.expiresAt == null ? null : toIso(key.expiresAt),
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toApiKey(row);
  }

  async findByDigest(digest: Buffer, now: Date): Promise<ApiKey | null> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select(COLUMNS)
      .where('digest', '=', digest.toString('hex'))
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', toIso(now))]))
      .executeTakeFirst();
    return row ? toApiKey(row) : null;
  }

  async list(now: Date): Promise<ApiKey[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .select(COLUMNS)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', toIso(now))]))
      .orderBy('id')
      .execute();
    return rows.map(toApiKey);
  }

  async revoke(id: string, at: Date): Promise<ApiKey | null> {
    const row = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: toIso(at) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(COLUMNS)
      .executeTakeFirst();
    return row ? toApiKey(row) : null;
  }

  async countLive(): Promise<number> {
    const { n } = await this.#db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('revoked_at', 'is', null)
      .where('expires_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async purgeExpired(before: Date): Promise<void> {
    await this.#db.deleteFrom('api_keys').where('expires_at', 'is not', null).where('expires_at', '<', toIso(before)).execute();
  }
}
