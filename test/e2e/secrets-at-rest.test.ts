// Issue #2: the database never holds a plaintext secret (nor a usable replay of one), and the
// 5-secret cap holds under concurrent HTTP creates.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** Everything the database holds, as text: the raw files (SQLite, WAL included) or every row (PostgreSQL). */
async function databaseContents(server: TestServer): Promise<string> {
  const url = server.storage.url;
  if (url.startsWith('sqlite:')) {
    const dir = dirname(url.slice('sqlite:'.length));
    return readdirSync(dir)
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('\n');
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'");
    const parts: string[] = [];
    for (const { tablename } of tables.rows) {
      const rows = await client.query<{ j: string }>(`select row_to_json(t)::text as j from "${tablename}" t`);
      parts.push(...rows.rows.map((r) => r.j));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

for (const dialect of DIALECTS) {
  describe(`secrets at rest (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let orgId: string;
    before(async () => {
      server = await startServer(dialect);
      orgId = ((await (await api(server, '/organizations', { method: 'POST', body: { name: 'Rest' } })).json()) as { id: string }).id;
    });
    after(async () => {
      await server.close();
    });

    const newApp = async () =>
      ((await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'R', application_type: 'm2m', organization_id: orgId } })).json()) as { id: string }).id;

    it('after creating several secrets (with and without Idempotency-Key) no plaintext is stored', async () => {
      const plaintexts: string[] = [];
      for (let a = 0; a < 3; a++) {
        const appId = await newApp();
        for (let i = 0; i < 4; i++) {
          const headers = i % 2 === 0 ? { 'idempotency-key': `rest-${a}-${i}` } : undefined;
          const res = await api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body: {}, ...(headers && { headers }) });
          assert.equal(res.status, 201);
          plaintexts.push(((await res.json()) as { secret: string }).secret);
        }
      }
      const contents = await databaseContents(server);
      assert.ok(contents.length > 1000, 'read the database');
      for (const secret of plaintexts) {
        // Neither the secret nor any long run of it: only the 6-character hint may appear.
        for (const fragment of [secret, secret.slice(0, 16), secret.slice(8, 24), Buffer.from(secret).toString('base64')]) {
          assert.equal(contents.includes(fragment), false, 'a plaintext secret fragment is in the database');
        }
      }
      assert.equal(contents.includes(server.apiKey), false, 'the API key is in the database');
    });

    it('10 concurrent HTTP creates on an application holding 3 secrets: exactly 2 succeed, 8 get 422', async () => {
      const appId = await newApp();
      for (let i = 0; i < 3; i++) assert.equal((await api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body: {} })).status, 201);
      const results = await Promise.all(Array.from({ length: 10 }, () => api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body: {} })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 201, 422, 422, 422, 422, 422, 422, 422, 422]);
      const listed = (await (await api(server, `/connect/applications/${appId}/client_secrets`)).json()) as unknown[];
      assert.equal(listed.length, 5);
    });
  });
}
