import type { Kysely } from 'kysely';
import type { Application } from '../../domain/application.ts';
import type { ClientMetadata } from '../../domain/client-metadata.ts';
import type { RedirectUri } from '../../domain/redirect-uri.ts';
import type { DynamicClientFields, DynamicClientRepository, NewDynamicClient } from '../port.ts';
import { toApplication } from './applications.ts';
import { atomically, toFlag, toIso, unstorable } from './rows.ts';
import type { Database } from './schema.ts';

function fieldColumns(f: DynamicClientFields) {
  return {
    name: f.name,
    scopes: JSON.stringify(f.scopes),
    redirect_uris: JSON.stringify(f.redirectUris satisfies readonly RedirectUri[]),
    uses_pkce: toFlag(f.usesPkce),
    client_metadata: JSON.stringify(f.metadata satisfies ClientMetadata),
  };
}

/** Issue #10: dynamically registered (RFC 7591) and metadata-document clients. */
export class SqlDynamicClients implements DynamicClientRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async register(c: NewDynamicClient, limits: { since: Date; perAddress: number }): Promise<{ outcome: 'created'; application: Application } | { outcome: 'address_limited' }> {
    const at = toIso(c.at);
    return atomically(this.#db, async (trx) => {
      // Counted in the registrations themselves, in the transaction that adds one (SQLite: under the write
      // lock; PostgreSQL: concurrent requests of one address can each pass a count taken at the same moment).
      const recent = await trx
        .selectFrom('client_registrations')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('client_address', '=', c.clientAddress)
        .where('created_at', '>', toIso(limits.since))
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= limits.perAddress) return { outcome: 'address_limited' };
      const row = await trx
        .insertInto('connect_applications')
        .values({
          id: c.id,
          client_id: c.clientId,
          description: null,
          application_type: 'oauth',
          organization_id: null,
          is_first_party: 0,
          was_dynamically_registered: 1,
          created_at: at,
          updated_at: at,
          metadata_expires_at: c.metadataExpiresAt === null ? null : toIso(c.metadataExpiresAt),
          last_used_at: null,
          ...fieldColumns(c),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.insertInto('client_registrations').values({ application_id: c.id, token_digest: c.registrationTokenDigest, client_address: c.clientAddress, created_at: at }).execute();
      return { outcome: 'created', application: toApplication(row) };
    });
  }

  async update(clientId: string, fields: DynamicClientFields, metadataExpiresAt: Date | null, at: Date): Promise<Application | null> {
    if (unstorable(clientId)) return null;
    const row = await this.#db
      .updateTable('connect_applications')
      .set({ ...fieldColumns(fields), metadata_expires_at: metadataExpiresAt === null ? null : toIso(metadataExpiresAt), updated_at: toIso(at) })
      .where('client_id', '=', clientId)
      .where('was_dynamically_registered', '=', 1)
      .returningAll()
      .executeTakeFirst();
    return row ? toApplication(row) : null;
  }

  async registrationTokenDigest(clientId: string): Promise<string | null> {
    if (unstorable(clientId)) return null;
    const row = await this.#db
      .selectFrom('client_registrations as r')
      .innerJoin('connect_applications as a', 'a.id', 'r.application_id')
      .select('r.token_digest')
      .where('a.client_id', '=', clientId)
      .executeTakeFirst();
    return row?.token_digest ?? null;
  }

  async markUsed(applicationId: string, at: Date, staleBefore: Date): Promise<void> {
    await this.#db
      .updateTable('connect_applications')
      .set({ last_used_at: toIso(at) })
      .where('id', '=', applicationId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', toIso(staleBefore))]))
      .execute();
  }

  async purgeUnused(createdBefore: Date): Promise<number> {
    const r = await this.#db
      .deleteFrom('connect_applications')
      .where('was_dynamically_registered', '=', 1)
      .where('last_used_at', 'is', null)
      .where('created_at', '<', toIso(createdBefore))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async useAssertion(key: string, expiresAt: Date): Promise<boolean> {
    // Single use across nodes: the primary key admits one insert; a second one changes nothing.
    const r = await this.#db.insertInto('used_client_assertions').values({ key, expires_at: toIso(expiresAt) }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
    return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async purgeAssertions(now: Date): Promise<number> {
    const r = await this.#db.deleteFrom('used_client_assertions').where('expires_at', '<', toIso(now)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
