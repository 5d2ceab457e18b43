import type { Kysely, Selectable } from 'kysely';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type { User } from '../../domain/user.ts';
import type { Membership, MembershipRepository, UserRepository, UserUpsert } from '../port.ts';
import { isForeignKeyViolation } from './errors.ts';
import { applyKeyset, atomically, fromIso, fromIsoOrNull, parseJson, toIso, unstorable } from './rows.ts';
import type { Database, UsersTable } from './schema.ts';

function toUser(r: Selectable<UsersTable>): User {
  return {
    id: r.id,
    externalId: r.external_id,
    email: r.email,
    emailVerified: r.email_verified === 1,
    firstName: r.first_name,
    lastName: r.last_name,
    metadata: parseJson<Record<string, string>>(r.metadata),
    lastSignInAt: fromIsoOrNull(r.last_sign_in_at),
    createdAt: fromIso(r.created_at),
    updatedAt: fromIso(r.updated_at),
  };
}

export class SqlUsers implements UserRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async upsertByExternalId(u: UserUpsert): Promise<{ user: User; created: boolean }> {
    const at = toIso(u.at);
    return atomically(this.#db, async (trx) => {
      const existing = await trx.selectFrom('users').selectAll().where('external_id', '=', u.externalId).executeTakeFirst();
      if (existing) {
        const row = await trx
          .updateTable('users')
          .set({
            email: u.email,
            first_name: u.firstName,
            last_name: u.lastName,
            ...(u.metadata !== null && { metadata: JSON.stringify(u.metadata) }),
            updated_at: at,
            last_sign_in_at: at,
          })
          .where('id', '=', existing.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { user: toUser(row), created: false };
      }
      const row = await trx
        .insertInto('users')
        .values({
          id: u.newId,
          external_id: u.externalId,
          email: u.email,
          // The company's login vouched for the address (Standalone Connect).
          email_verified: 1,
          first_name: u.firstName,
          last_name: u.lastName,
          metadata: JSON.stringify(u.metadata ?? {}),
          created_at: at,
          updated_at: at,
          last_sign_in_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { user: toUser(row), created: true };
    });
  }

  async get(id: string): Promise<User | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async findByExternalId(externalId: string): Promise<User | null> {
    if (unstorable(externalId)) return null;
    const row = await this.#db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst();
    return row ? toUser(row) : null;
  }
}

export class SqlMemberships implements MembershipRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  #select(db: Kysely<Database>) {
    return db
      .selectFrom('organization_memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.organization_id')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .selectAll('u')
      .select(['m.id as m_id', 'm.organization_id as m_organization_id', 'o.name as organization_name', 'm.created_at as m_created_at', 'm.updated_at as m_updated_at']);
  }

  #toMembership(r: Selectable<UsersTable> & { m_id: string; m_organization_id: string; organization_name: string; m_created_at: string; m_updated_at: string }): Membership {
    return {
      id: r.m_id,
      userId: r.id,
      organizationId: r.m_organization_id,
      organizationName: r.organization_name,
      user: toUser(r),
      status: 'active',
      createdAt: fromIso(r.m_created_at),
      updatedAt: fromIso(r.m_updated_at),
    };
  }

  async create(m: { id: string; userId: string; organizationId: string; at: Date }): Promise<Membership | null> {
    if (unstorable(m.userId) || unstorable(m.organizationId)) return null;
    try {
      await this.#db
        .insertInto('organization_memberships')
        .values({ id: m.id, user_id: m.userId, organization_id: m.organizationId, status: 'active', created_at: toIso(m.at), updated_at: toIso(m.at) })
        // Already a member: creating it again answers the existing membership.
        .onConflict((oc) => oc.columns(['user_id', 'organization_id']).doNothing())
        .execute();
    } catch (err) {
      if (isForeignKeyViolation(err)) return null;
      throw err;
    }
    const row = await this.#select(this.#db).where('m.user_id', '=', m.userId).where('m.organization_id', '=', m.organizationId).executeTakeFirst();
    return row ? this.#toMembership(row) : null;
  }

  async get(id: string): Promise<Membership | null> {
    if (unstorable(id)) return null;
    const row = await this.#select(this.#db).where('m.id', '=', id).executeTakeFirst();
    return row ? this.#toMembership(row) : null;
  }

  async exists(userId: string, organizationId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('organization_memberships')
      .select('id')
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(page: PageRequest, filter: { userId?: string; organizationId?: string }): Promise<Page<Membership>> {
    let q = this.#select(this.#db);
    if (filter.userId !== undefined) q = q.where('m.user_id', '=', filter.userId);
    if (filter.organizationId !== undefined) q = q.where('m.organization_id', '=', filter.organizationId);
    const rows = await applyKeyset(q, 'm.id', planKeyset(page)).execute();
    return assemblePage(page, rows.map((r) => this.#toMembership(r)));
  }

  async delete(id: string): Promise<boolean> {
    if (unstorable(id)) return false;
    const r = await this.#db.deleteFrom('organization_memberships').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
