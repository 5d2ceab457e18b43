// Issue #2: the database never holds a plaintext secret (nor a usable replay of one), and the
// 5-secret cap holds under concurrent HTTP creates. Issue #8: titled after security bar items 2
// and 3, plus the check that what is stored is the keyed digest and nothing reversible.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

    it('security bar 2: after creating several secrets (with and without Idempotency-Key) no plaintext is stored', async () => {
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

    it('security bar 3: 10 concurrent HTTP creates on an application holding 3 secrets: exactly 2 succeed, 8 get 422', async () => {
      const appId = await newApp();
      for (let i = 0; i < 3; i++) assert.equal((await api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body: {} })).status, 201);
      const results = await Promise.all(Array.from({ length: 10 }, () => api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body: {} })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 201, 422, 422, 422, 422, 422, 422, 422, 422]);
      const listed = (await (await api(server, `/connect/applications/${appId}/client_secrets`)).json()) as unknown[];
      assert.equal(listed.length, 5);
    });

    // Issue #8: "no reversible form" made concrete. The one value derived from a secret that the
    // database holds is its HMAC-SHA-256 under the server key's client-secret subkey: one-way, and
    // without the server key not even testable against guesses. No unkeyed hash, no encoding.
    it('security bar 2: each secret is stored only as its keyed HMAC-SHA-256 digest: no unkeyed hash, no encoding of it', async () => {
      const appId = await newApp();
      const secrets: string[] = [];
      for (let i = 0; i < 3; i++) secrets.push(((await (await api(server, `/connect/applications/${appId}/client_secrets`, { method: 'POST', body: {} })).json()) as { secret: string }).secret);
      const contents = await databaseContents(server);
      for (const secret of secrets) {
        const keyed = server.keyring.digest('client-secret', secret);
        assert.ok(contents.includes(keyed.toString('hex')), 'the keyed digest is what is stored');
        const unkeyed = createHash('sha256').update(secret).digest();
        for (const form of [unkeyed.toString('hex'), unkeyed.toString('base64'), unkeyed.toString('base64url'), Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64url'), [...secret].reverse().join('')]) {
          assert.equal(contents.includes(form), false, 'a reversible or unkeyed form of a secret is in the database');
        }
      }
    });
  });
}
