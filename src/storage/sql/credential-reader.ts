import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Selectable } from 'kysely';
import type { ClientCredentials } from '../port.ts';
import { toApplication } from './applications.ts';
import { fromIsoOrNull } from './rows.ts';
import type { ConnectApplicationsTable } from './schema.ts';
import { isBusy } from './sqlite.ts';

/**
 * Issue #12: the token endpoint's credential lookup on `node:sqlite` without
 * the query builder. It is the one query every `client_credentials` request
 * runs, and Kysely's executor, the single connection's queue and the row
 * mapping of a join that repeats the application per secret cost ~50 µs per
 * token, more than everything else Portico adds to a bare server. So: one
 * prepared statement, one row (the live secrets folded into a JSON array of
 * only the three columns used), on a **second connection** of its own.
 *
 * The second connection is what keeps it correct. The main connection runs
 * every transaction of this process; a read there between `BEGIN` and
 * `COMMIT` of another request would see that request's uncommitted writes.
 * In WAL mode each statement here reads the newest committed snapshot, so a
 * secret or application deleted by any process is gone for the very next
 * lookup (revocation stays instant; nothing is cached but the statement).
 * `query_only` makes sure this connection can never write.
 *
 * The Kysely query in `secrets.ts` stays the reference (PostgreSQL, in-memory
 * SQLite, inside transactions, and the fallback when this connection is
 * busy); `test/storage/credential-reader.test.ts` pins both to the same result.
 */
const SQL = `
select a.id, a.client_id, a.name, a.description, a.scopes, a.application_type, a.organization_id,
       a.is_first_party, a.was_dynamically_registered, a.uses_pkce, a.redirect_uris, a.created_at,
       a.updated_at, a.client_metadata, a.metadata_expires_at, a.last_used_at,
       (select json_group_array(json_array(s.id, s.digest, s.last_used_at))
          from client_secrets s
         where s.application_id = a.id and (s.expires_at is null or s.expires_at > ?)) as secrets
  from connect_applications a
 where a.client_id = ?`;

type Row = Selectable<ConnectApplicationsTable> & { secrets: string };

export interface CredentialReader {
  /** As `findCredentials(clientId, now)`; `undefined` when the database was busy (the caller falls back). */
  find(clientId: string, nowIso: string): ClientCredentials | null | undefined;
  close(): void;
}

/** A reader on the database file at `path`; null for `:memory:` (a second connection would be another database). */
export function openCredentialReader(path: string): CredentialReader | null {
  if (path === ':memory:') return null;
  let db: DatabaseSync | undefined;
  let stmt: StatementSync | undefined;
  return {
    find(clientId, nowIso) {
      try {
        // Opened and prepared on first use: the file and its tables may not exist before migrations ran.
        if (!db) {
          db = new DatabaseSync(path);
          db.exec('PRAGMA busy_timeout = 0');
          db.exec('PRAGMA query_only = 1');
        }
        stmt ??= db.prepare(SQL);
        const row = stmt.get(nowIso, clientId) as Row | undefined;
        if (!row) return null;
        const { secrets, ...app } = row;
        return {
          application: toApplication(app),
          secrets: (JSON.parse(secrets) as [string, string, string | null][]).map(([id, digest, lastUsedAt]) => ({ id, digest: Buffer.from(digest, 'hex'), lastUsedAt: fromIsoOrNull(lastUsedAt) })),
        };
      } catch (err) {
        if (isBusy(err)) return undefined;
        throw err;
      }
    },
    close() {
      db?.close();
      db = undefined;
      stmt = undefined;
    },
  };
}
