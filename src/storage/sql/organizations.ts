import { sql, type Kysely, type Selectable } from 'kysely';
import type { Organization, OrganizationDomain, OrganizationFilter, DomainState } from '../../domain/organization.ts';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type { NewDomain, NewOrganization, OrganizationChanges, OrganizationRepository } from '../port.ts';
import { applyKeyset, atomically, fromIso, parseJson, toFlag, toIso, unstorable } from './rows.ts';
import type { Database, OrganizationDomainsTable, OrganizationsTable } from './schema.ts';

type OrgRow = Selectable<OrganizationsTable>;
type DomainRow = Selectable<OrganizationDomainsTable>;

function toDomain(row: DomainRow): OrganizationDomain {
  return {
    id: row.id,
    organizationId: row.organization_id,
    domain: row.domain,
    state: row.state as DomainState,
    verificationStrategy: row.verification_strategy === 'dns' ? 'dns' : 'manual',
    verificationToken: row.verification_token,
    createdAt: fromIso(row.created_at),
    updatedAt: fromIso(row.updated_at),
  };
}

function toOrganization(row: OrgRow, domains: OrganizationDomain[]): Organization {
  return {
    id: row.id,
    name: row.name,
    externalId: row.external_id,
    metadata: parseJson<Record<string, string>>(row.metadata),
    allowProfilesOutsideOrganization: row.allow_profiles_outside_organization === 1,
    stripeCustomerId: row.stripe_customer_id,
    domains,
    createdAt: fromIso(row.created_at),
    updatedAt: fromIso(row.updated_at),
  };
}

function domainRow(orgId: string, d: NewDomain, at: string): DomainRow {
  return {
    id: d.id,
    organization_id: orgId,
    domain: d.domain,
    state: d.state,
    verification_strategy: d.verificationStrategy,
    verification_token: d.verificationToken,
    created_at: at,
    updated_at: at,
  };
}

/** Escapes LIKE wildcards so `search` matches literally. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class SqlOrganizations implements OrganizationRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async #withDomains(db: Kysely<Database>, rows: OrgRow[]): Promise<Organization[]> {
    if (rows.length === 0) return [];
    const domainRows = await db
      .selectFrom('organization_domains')
      .selectAll()
      .where('organization_id', 'in', rows.map((r) => r.id))
      .orderBy('id')
      .execute();
    const byOrg = new Map<string, OrganizationDomain[]>();
    for (const d of domainRows) {
      const list = byOrg.get(d.organization_id) ?? [];
      list.push(toDomain(d));
      byOrg.set(d.organization_id, list);
    }
    return rows.map((r) => toOrganization(r, byOrg.get(r.id) ?? []));
  }

  async #one(db: Kysely<Database>, row: OrgRow | undefined): Promise<Organization | null> {
    if (!row) return null;
    return (await this.#withDomains(db, [row]))[0] ?? null;
  }

  async create(org: NewOrganization): Promise<Organization> {
    const at = toIso(org.at);
    return atomically(this.#db, async (trx) => {
      const row: OrgRow = {
        id: org.id,
        name: org.name,
        external_id: org.externalId,
        metadata: JSON.stringify(org.metadata),
        allow_profiles_outside_organization: toFlag(org.allowProfilesOutsideOrganization),
        stripe_customer_id: null,
        created_at: at,
        updated_at: at,
      };
      await trx.insertInto('organizations').values(row).execute();
      if (org.domains.length > 0) {
        await trx.insertInto('organization_domains').values(org.domains.map((d) => domainRow(org.id, d, at))).execute();
      }
      return (await this.#one(trx, row))!;
    });
  }

  async get(id: string): Promise<Organization | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return this.#one(this.#db, row);
  }

  async getByExternalId(externalId: string): Promise<Organization | null> {
    if (unstorable(externalId)) return null;
    const row = await this.#db.selectFrom('organizations').selectAll().where('external_id', '=', externalId).executeTakeFirst();
    return this.#one(this.#db, row);
  }

  async list(page: PageRequest, filter: OrganizationFilter): Promise<Page<Organization>> {
    let q = this.#db.selectFrom('organizations').selectAll();
    if (filter.domains !== undefined) {
      if (filter.domains.length === 0) return assemblePage(page, []);
      const domains = filter.domains;
      q = q.where('id', 'in', (eb) =>
        eb.selectFrom('organization_domains').select('organization_id').where('domain', 'in', domains),
      );
    }
    if (filter.search !== undefined) {
      q = q.where(sql<boolean>`lower(name) like ${likePattern(filter.search)} escape '\\'`);
    }
    const rows = await applyKeyset(q, 'id', planKeyset(page)).execute();
    return assemblePage(page, await this.#withDomains(this.#db, rows));
  }

  async update(id: string, changes: OrganizationChanges): Promise<Organization | null> {
    if (unstorable(id)) return null;
    const at = toIso(changes.at);
    return atomically(this.#db, async (trx) => {
      const values: Partial<OrgRow> = { updated_at: at };
      if (changes.name !== undefined) values.name = changes.name;
      if (changes.externalId !== undefined) values.external_id = changes.externalId;
      if (changes.metadata !== undefined) values.metadata = JSON.stringify(changes.metadata);
      if (changes.allowProfilesOutsideOrganization !== undefined) {
        values.allow_profiles_outside_organization = toFlag(changes.allowProfilesOutsideOrganization);
      }
      if (changes.stripeCustomerId !== undefined) values.stripe_customer_id = changes.stripeCustomerId;
      const row = await trx.updateTable('organizations').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      if (!row) return null;
      if (changes.domains !== undefined) await replaceDomains(trx, id, changes.domains, at);
      return this.#one(trx, row);
    });
  }

  async delete(id: string): Promise<boolean> {
    if (unstorable(id)) return false;
    // Domains and owned applications (and their secrets) go by ON DELETE CASCADE.
    const result = await this.#db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

async function replaceDomains(trx: Kysely<Database>, orgId: string, wanted: readonly NewDomain[], at: string): Promise<void> {
  const existing = await trx.selectFrom('organization_domains').selectAll().where('organization_id', '=', orgId).execute();
  const byName = new Map(existing.map((d) => [d.domain, d]));
  const keep = new Set(wanted.map((d) => d.domain));
  const gone = existing.filter((d) => !keep.has(d.domain)).map((d) => d.id);
  if (gone.length > 0) await trx.deleteFrom('organization_domains').where('id', 'in', gone).execute();
  for (const d of wanted) {
    const old = byName.get(d.domain);
    if (!old) await trx.insertInto('organization_domains').values(domainRow(orgId, d, at)).execute();
    else if (old.state !== d.state) {
      await trx
        .updateTable('organization_domains')
        .set({ state: d.state, verification_strategy: d.verificationStrategy, verification_token: d.verificationToken, updated_at: at })
        .where('id', '=', old.id)
        .execute();
    }
  }
}
