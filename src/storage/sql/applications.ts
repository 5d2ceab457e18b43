import type { Kysely, Selectable } from 'kysely';
import type { Application, ApplicationFilter, ApplicationPatch, ApplicationType } from '../../domain/application.ts';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type { RedirectUri } from '../../domain/redirect-uri.ts';
import type { ApplicationRepository, NewApplication } from '../port.ts';
import { isForeignKeyViolation } from './errors.ts';
import { applyKeyset, fromIso, fromIsoOrNull, parseJson, toFlag, toIso, unstorable } from './rows.ts';
import type { ClientMetadata } from '../../domain/client-metadata.ts';
import type { ConnectApplicationsTable, Database } from './schema.ts';

type AppRow = Selectable<ConnectApplicationsTable>;

export function toApplication(row: AppRow): Application {
  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    description: row.description,
    scopes: parseJson<string[]>(row.scopes),
    type: row.application_type as ApplicationType,
    organizationId: row.organization_id,
    isFirstParty: row.is_first_party === 1,
    wasDynamicallyRegistered: row.was_dynamically_registered === 1,
    usesPkce: row.uses_pkce === 1,
    redirectUris: parseJson<RedirectUri[]>(row.redirect_uris),
    dynamic:
      row.client_metadata === null
        ? null
        : { metadata: parseJson<ClientMetadata>(row.client_metadata), metadataExpiresAt: fromIsoOrNull(row.metadata_expires_at), lastUsedAt: fromIsoOrNull(row.last_used_at) },
    createdAt: fromIso(row.created_at),
    updatedAt: fromIso(row.updated_at),
  };
}

export class SqlApplications implements ApplicationRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(app: NewApplication): Promise<Application | null> {
    const at = toIso(app.at);
    try {
      const row = await this.#db
        .insertInto('connect_applications')
        .values({
          id: app.id,
          client_id: app.clientId,
          name: app.name,
          description: app.description,
          scopes: JSON.stringify(app.scopes),
          application_type: app.type,
          organization_id: app.organizationId,
          is_first_party: toFlag(app.isFirstParty),
          was_dynamically_registered: toFlag(app.wasDynamicallyRegistered),
          uses_pkce: toFlag(app.usesPkce),
          redirect_uris: JSON.stringify(app.redirectUris),
          created_at: at,
          updated_at: at,
          client_metadata: null,
          metadata_expires_at: null,
          last_used_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApplication(row);
    } catch (err) {
      // The owning organization was deleted between the service's check and this insert.
      if (isForeignKeyViolation(err)) return null;
      throw err;
    }
  }

  async find(idOrClientId: string): Promise<Application | null> {
    if (unstorable(idOrClientId)) return null;
    // Client IDs are `client_…`, or the metadata document's URL (issue #10); application IDs `conn_app_…`.
    const column = idOrClientId.startsWith('client_') || /^https?:\/\//.test(idOrClientId) ? 'client_id' : 'id';
    const row = await this.#db.selectFrom('connect_applications').selectAll().where(column, '=', idOrClientId).executeTakeFirst();
    return row ? toApplication(row) : null;
  }

  async list(page: PageRequest, filter: ApplicationFilter): Promise<Page<Application>> {
    let q = this.#db.selectFrom('connect_applications').selectAll();
    if (filter.organizationId !== undefined) q = q.where('organization_id', '=', filter.organizationId);
    if (filter.type !== undefined) q = q.where('application_type', '=', filter.type);
    const rows = await applyKeyset(q, 'id', planKeyset(page)).execute();
    return assemblePage(page, rows.map(toApplication));
  }

  async update(id: string, patch: ApplicationPatch, at: Date): Promise<Application | null> {
    const values: Partial<AppRow> = { updated_at: toIso(at) };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.scopes !== undefined) values.scopes = JSON.stringify(patch.scopes);
    if (patch.redirectUris !== undefined) values.redirect_uris = JSON.stringify(patch.redirectUris);
    const row = await this.#db.updateTable('connect_applications').set(values).where('id', '=', id).returningAll().executeTakeFirst();
    return row ? toApplication(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    // Secrets go with it (ON DELETE CASCADE), in the same statement.
    const result = await this.#db.deleteFrom('connect_applications').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
