import type { Kysely, Selectable } from 'kysely';
import type { ClientCredentials, ClientSecret, ClientSecretRepository, CreateSecretResult, NewClientSecret, SecretWithOwner } from '../port.ts';
import { toApplication } from './applications.ts';
import { atomically, fromIso, fromIsoOrNull, reusable, toIso, unstorable } from './rows.ts';
import type { ClientSecretsTable, Database } from './schema.ts';
import type { CredentialReader } from './credential-reader.ts';

type SecretRow = Selectable<ClientSecretsTable>;

const PUBLIC_COLUMNS = ['id', 'application_id', 'hint', 'last_used_at', 'expires_at', 'created_at', 'updated_at'] as const;

/** The column that records when a lifecycle event of a secret was emitted. */
const NOTIFIED = { expiring: 'expiring_notified_at', expired: 'expired_notified_at' } as const;

function toSecret(row: Pick<SecretRow, (typeof PUBLIC_COLUMNS)[number]>): ClientSecret {
  return {
    id: row.id,
    applicationId: row.application_id,
    hint: row.hint,
    lastUsedAt: fromIsoOrNull(row.last_used_at),
    expiresAt: fromIsoOrNull(row.expires_at),
    createdAt: fromIso(row.created_at),
    updatedAt: fromIso(row.updated_at),
  };
}


export class SqlClientSecrets implements ClientSecretRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: 'sqlite' | 'postgres';
  readonly #credentialsQuery;
  readonly #reader: CredentialReader | null;

  /** `reader`: the SQLite fast path for findCredentials (issue #12), outside transactions only. */
  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', reader: CredentialReader | null = null) {
    this.#db = db;
    this.#dialect = dialect;
    this.#reader = reader;
    // One round trip: the application and its (at most five) secrets. Compiled once: the token endpoint runs it per request.
    // Issue #13: an expired secret is left out by the join itself (expiry is exclusive: at `expires_at` it no longer
    // authenticates), so no node can accept it on the next request and the hot path stays one statement.
    this.#credentialsQuery = reusable(
      db,
      () => db
        .selectFrom('connect_applications as a')
        .leftJoin('client_secrets as s', (join) =>
          join.onRef('s.application_id', '=', 'a.id').on((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', '\u0001now')])),
        )
        .selectAll('a')
        .select(['s.id as secret_id', 's.digest as secret_digest', 's.last_used_at as secret_last_used_at'])
        .where('a.client_id', '=', '\u0001client_id'),
      ['\u0001client_id', '\u0001now'],
    );
  }

  async findCredentials(clientId: string, now: Date): Promise<ClientCredentials | null> {
    if (unstorable(clientId)) return null;
    const fast = this.#reader?.find(clientId, toIso(now));
    if (fast !== undefined) return fast;
    const rows = await this.#credentialsQuery(clientId, toIso(now));
    const first = rows[0];
    if (!first) return null;
    const { secret_id: _i, secret_digest: _d, secret_last_used_at: _l, ...appRow } = first;
    return {
      application: toApplication(appRow),
      secrets: rows
        .filter((r) => r.secret_id !== null && r.secret_digest !== null)
        .map((r) => ({ id: r.secret_id!, digest: Buffer.from(r.secret_digest!, 'hex'), lastUsedAt: fromIsoOrNull(r.secret_last_used_at) })),
    };
  }

  async touch(id: string, at: Date, staleBefore: Date): Promise<boolean> {
    const r = await this.#db
      .updateTable('client_secrets')
      .set({ last_used_at: toIso(at) })
      .where('id', '=', id)
      // Conditional: coalesces concurrent stamps and never moves the stamp backwards.
      // staleBefore < at, so a stamp never moves backwards either.
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', toIso(staleBefore))]))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async createCapped(secret: NewClientSecret, max: number): Promise<CreateSecretResult> {
    const at = toIso(secret.at);
    return atomically(this.#db, async (trx): Promise<CreateSecretResult> => {
      // Serialise creators per application: a row lock on PostgreSQL; on SQLite
      // the transaction already holds the database write lock (BEGIN IMMEDIATE).
      const app = await trx
        .selectFrom('connect_applications')
        .select('id')
        .where('id', '=', secret.applicationId)
        .$if(this.#dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!app) return { ok: false, reason: 'application_not_found' };
      const { n } = await trx
        .selectFrom('client_secrets')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('application_id', '=', secret.applicationId)
        .executeTakeFirstOrThrow();
      if (Number(n) >= max) return { ok: false, reason: 'limit_reached' };
      const row = await trx
        .insertInto('client_secrets')
        .values({
          id: secret.id,
          application_id: secret.applicationId,
          digest: secret.digest.toString('hex'),
          hint: secret.hint,
          last_used_at: null,
          expires_at: secret.expiresAt == null ? null : toIso(secret.expiresAt),
          expiring_notified_at: null,
          expired_notified_at: null,
          created_at: at,
          updated_at: at,
        })
        .returning(PUBLIC_COLUMNS)
        .executeTakeFirstOrThrow();
      return { ok: true, secret: toSecret(row) };
    });
  }

  async listByApplication(applicationId: string): Promise<ClientSecret[]> {
    const rows = await this.#db
      .selectFrom('client_secrets')
      .select(PUBLIC_COLUMNS)
      .where('application_id', '=', applicationId)
      .orderBy('id')
      .execute();
    return rows.map(toSecret);
  }

  async delete(id: string): Promise<ClientSecret | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.deleteFrom('client_secrets').where('id', '=', id).returning(PUBLIC_COLUMNS).executeTakeFirst();
    return row ? toSecret(row) : null;
  }

  async markLifecycle(stage: 'expiring' | 'expired', threshold: Date, at: Date, limit: number): Promise<SecretWithOwner[]> {
    const column = NOTIFIED[stage];
    return atomically(this.#db, async (trx) => {
      // Conditional on the mark being unset, in the statement that sets it: on PostgreSQL a concurrent caller
      // waits for the row lock, re-checks the condition and skips the row; SQLite holds the write lock.
      const rows = await trx
        .updateTable('client_secrets')
        .set({ [column]: toIso(at) })
        .where(column, 'is', null)
        .where('id', 'in', (eb) =>
          eb.selectFrom('client_secrets').select('id').where('expires_at', 'is not', null).where('expires_at', '<=', toIso(threshold)).where(column, 'is', null).orderBy('expires_at').limit(limit),
        )
        .returning(PUBLIC_COLUMNS)
        .execute();
      return this.#withOwners(trx, rows.map(toSecret));
    });
  }

  async listExpiring(before: Date): Promise<SecretWithOwner[]> {
    const rows = await this.#db
      .selectFrom('client_secrets')
      .select(PUBLIC_COLUMNS)
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', toIso(before))
      .orderBy('expires_at')
      .orderBy('id')
      .execute();
    return this.#withOwners(this.#db, rows.map(toSecret));
  }

  async #withOwners(db: Kysely<Database>, secrets: ClientSecret[]): Promise<SecretWithOwner[]> {
    if (secrets.length === 0) return [];
    const apps = await db
      .selectFrom('connect_applications')
      .select(['id', 'organization_id'])
      .where('id', 'in', [...new Set(secrets.map((x) => x.applicationId))])
      .execute();
    const org = new Map(apps.map((a) => [a.id, a.organization_id]));
    return secrets.map((x) => ({ ...x, organizationId: org.get(x.applicationId) ?? null }));
  }
}
