// Issue #8 (found by the fault suite, security bar 45): when PostgreSQL drops a connection that is
// checked out of the pool (a transaction between two statements), the process must not die of an
// unhandled 'error' event; the transaction fails as "storage unavailable" (503) instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { StorageUnavailableError } from '../../src/domain/errors.ts';
import { createTestStorage, DIALECTS } from '../support/databases.ts';

const skip = DIALECTS.includes('postgres') ? false : 'PostgreSQL not reachable';

describe('PostgreSQL connection loss (issue #8)', { skip }, () => {
  it('a backend terminated in the middle of a transaction fails that transaction with StorageUnavailableError, and the next call reconnects', async () => {
    const storage = await createTestStorage('postgres');
    const admin = new pg.Client({ connectionString: storage.url });
    await admin.connect();
    try {
      const dbName = new URL(storage.url).pathname.slice(1);
      await assert.rejects(
        storage.transaction(async (tx) => {
          await tx.settings.get('before');
          // Every other backend of this database goes: the one holding our transaction among them.
          const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
          assert.ok((rowCount ?? 0) >= 1);
          // Let the connection's end reach the client while it is still checked out.
          await sleep(300);
          await tx.settings.get('after');
        }),
        (err) => err instanceof StorageUnavailableError,
      );
      // Recovery without a restart: the pool dropped the dead client.
      assert.equal(await storage.settings.putIfAbsent('reconnected', 'yes'), 'yes');
    } finally {
      await admin.end();
      await storage.close();
    }
  });
});
