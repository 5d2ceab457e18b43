// Issue #3: PORTICO_WORKERS runs several processes on one port; SQLite (WAL + busy timeout) and
// PostgreSQL stay correct, and /metrics adds up every worker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createTestDatabase, dialectSuite, DIALECTS } from '../support/databases.ts';
import { freePort } from '../support/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

for (const dialect of DIALECTS) {
  describe(`PORTICO_WORKERS=2 (${dialect})`, dialectSuite(dialect), () => {
    it('serves tokens and management writes from both workers without errors, and aggregates metrics', async () => {
      const db = await createTestDatabase(dialect);
      const port = await freePort();
      const apiKey = `sk_${randomBytes(30).toString('base64url')}`;
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          PORTICO_DATABASE_URL: db.url,
          PORTICO_PORT: String(port),
          PORTICO_HOST: '127.0.0.1',
          PORTICO_WORKERS: '2',
          PORTICO_API_KEY: apiKey,
          PORTICO_SECRET_KEY: randomBytes(32).toString('base64url'),
          PORTICO_LOG_LEVEL: 'warn',
        },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        const deadline = Date.now() + 20_000;
        while (!/2 workers listening/.test(out)) {
          assert.ok(Date.now() < deadline, `never listened:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const base = `http://127.0.0.1:${port}`;
        const json = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
        const post = async (path: string, body: unknown) => (await (await fetch(`${base}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) })).json()) as Record<string, string>;
        const org = await post('/organizations', { name: 'Workers' });
        const app = await post('/connect/applications', { name: 'W', application_type: 'm2m', organization_id: org.id, scopes: ['read'] });

        // Secret creates race across both processes: the cap still holds.
        const creates = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/connect/applications/${app.id}/client_secrets`, { method: 'POST', headers: json, body: '{}' })));
        assert.deepEqual(creates.map((r) => r.status).sort(), [201, 201, 201, 201, 201, 422, 422, 422]);
        const secret = ((await creates.find((r) => r.status === 201)!.json()) as { secret: string }).secret;

        const basic = `Basic ${Buffer.from(`${app.client_id}:${secret}`).toString('base64')}`;
        const tokens = await Promise.all(
          Array.from({ length: 200 }, () =>
            fetch(`${base}/oauth2/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }),
          ),
        );
        assert.deepEqual([...new Set(tokens.map((r) => r.status))], [200]);
        await Promise.all(tokens.map((r) => r.arrayBuffer()));

        const metrics = await (await fetch(`${base}/metrics`)).text();
        assert.match(metrics, /^portico_tokens_issued_total\{grant="client_credentials"\} 200$/m);
        // Issue #8: both workers really answered (this passed with one worker before it counted per worker).
        const perWorker = [...metrics.matchAll(/^portico_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm)].map((m) => ({ worker: m[1]!, requests: Number(m[2]) }));
        assert.equal(perWorker.length, 2, metrics);
        for (const w of perWorker) assert.ok(w.requests > 0 && w.worker !== '0', `worker ${w.worker} answered ${w.requests} requests`);
        // Both workers answered (their request histograms are summed into one series).
        const secretsListed = (await (await fetch(`${base}/connect/applications/${app.id}/client_secrets`, { headers: json })).json()) as { last_used_at: string | null }[];
        assert.equal(secretsListed.length, 5);
        assert.equal(secretsListed.filter((s) => s.last_used_at !== null).length, 1);
      } finally {
        const exited = new Promise<number | null>((r) => child.once('exit', r));
        child.kill('SIGTERM');
        assert.equal(await exited, 0, out);
        await db.drop();
      }
    });
  });
}
