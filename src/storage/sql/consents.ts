import type { Kysely, Selectable } from 'kysely';
import type { Consent } from '../../domain/authorization.ts';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type { ConsentKey, ConsentRepository } from '../port.ts';
import { applyKeyset, atomically, fromIso, parseJson, toIso, unstorable } from './rows.ts';
import type { ConsentsTable, Database } from './schema.ts';

function toConsent(r: Selectable<ConsentsTable>): Consent {
  return {
    id: r.id,
    userId: r.user_id,
    applicationId: r.application_id,
    organizationId: r.organization_key === '' ? null : r.organization_key,
    resource: r.resource_key === '' ? null : r.resource_key,
    grantedScopes: parseJson<string[]>(r.granted_scopes),
    claims: parseJson<Record<string, string>>(r.claims),
    createdAt: fromIso(r.created_at),
    updatedAt: fromIso(r.updated_at),
  };
}

export class SqlConsents implements ConsentRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  #where(db: Kysely<Database>, k: ConsentKey) {
    return db
      .selectFrom('consents')
      .selectAll()
      .where('user_id', '=', k.userId)
      .where('application_id', '=', k.applicationId)
      .where('organization_key', '=', k.organizationId ?? '')
      .where('resource_key', '=', k.resource ?? '');
  }

  async find(key: ConsentKey): Promise<Consent | null> {
    const row = await this.#where(this.#db, key).executeTakeFirst();
    return row ? toConsent(row) : null;
  }

  async get(id: string): Promise<Consent | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toConsent(row) : null;
  }

  async grant(key: ConsentKey, g: { newId: string; scopes: readonly string[]; claims: Readonly<Record<string, string>>; at: Date }): Promise<Consent> {
    const at = toIso(g.at);
    return atomically(this.#db, async (trx) => {
      // Insert-or-nothing first: two tabs granting at once must not collide on the unique key.
      const inserted = await trx
        .insertInto('consents')
        .values({
          id: g.newId,
          user_id: key.userId,
          application_id: key.applicationId,
          organization_key: key.organizationId ?? '',
          resource_key: key.resource ?? '',
          granted_scopes: JSON.stringify([...new Set(g.scopes)]),
          claims: JSON.stringify(g.claims),
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.columns(['user_id', 'application_id', 'organization_key', 'resource_key']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return toConsent(inserted);
      const existing = await this.#where(trx, key).executeTakeFirstOrThrow();
      const scopes = [...new Set([...parseJson<string[]>(existing.granted_scopes), ...g.scopes])];
      const row = await trx
        .updateTable('consents')
        .set({ granted_scopes: JSON.stringify(scopes), claims: JSON.stringify(g.claims), updated_at: at })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toConsent(row);
    });
  }

  async listByUser(userId: string, page: PageRequest): Promise<Page<Consent>> {
    const q = this.#db.selectFrom('consents').selectAll().where('user_id', '=', userId);
    const rows = await applyKeyset(q, 'id', planKeyset(page)).execute();
    return assemblePage(page, rows.map(toConsent));
  }

  async listByOrganization(organizationId: string, page: PageRequest): Promise<Page<Consent>> {
    if (unstorable(organizationId)) return assemblePage(page, []);
    const q = this.#db.selectFrom('consents').selectAll().where('organization_key', '=', organizationId);
    const rows = await applyKeyset(q, 'id', planKeyset(page)).execute();
    return assemblePage(page, rows.map(toConsent));
  }

  async findForOrganization(organizationId: string, applicationId: string): Promise<Consent[]> {
    if (unstorable(organizationId) || unstorable(applicationId) || organizationId === '') return [];
    const rows = await this.#db.selectFrom('consents').selectAll().where('organization_key', '=', organizationId).where('application_id', '=', applicationId).execute();
    return rows.map(toConsent);
  }

  async deleteMany(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.deleteFrom('consents').where('id', 'in', [...ids]).execute();
  }

  async findForApplication(userId: string, applicationId: string): Promise<Consent[]> {
    if (unstorable(userId) || unstorable(applicationId)) return [];
    const rows = await this.#db.selectFrom('consents').selectAll().where('user_id', '=', userId).where('application_id', '=', applicationId).execute();
    return rows.map(toConsent);
  }
}
