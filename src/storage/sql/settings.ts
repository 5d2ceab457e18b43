import type { Kysely } from 'kysely';
import type { SettingsRepository } from '../port.ts';
import type { Database } from './schema.ts';

export class SqlSettings implements SettingsRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(key: string): Promise<string | null> {
    const row = await this.#db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value ?? null;
  }

  async putIfAbsent(key: string, value: string): Promise<string> {
    await this.#db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.get(key))!;
  }

  async put(key: string, value: string): Promise<void> {
    await this.#db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('settings').where('key', '=', key).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
