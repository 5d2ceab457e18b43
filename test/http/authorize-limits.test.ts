// Issue #7 §2: unauthenticated callers cannot grow the database without bound. /oauth2/authorize
// is limited per client address and per client_id (counted in the interactions themselves, so on
// every node), abandoned interactions go at expiry, and PORTICO_TRUST_PROXY decides which address
// counts behind a reverse proxy.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { housekeep } from '../../src/housekeeping.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'https://limits.example.test/cb';

/** GET over a socket bound to `localAddress` (any 127.0.0.0/8 address is this machine). */
function getFrom(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { localAddress, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function interactionRows(server: TestServer): Promise<number> {
  const url = server.storage.url;
  if (url.startsWith('sqlite:')) {
    const db = new DatabaseSync(url.slice('sqlite:'.length), { readOnly: true });
    try {
      return Number((db.prepare('select count(*) as n from interactions').get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('select count(*) as n from interactions')).rows[0]!.n);
  } finally {
    await client.end();
  }
}

async function publicClient(server: TestServer): Promise<string> {
  const org = ((await (await api(server, '/organizations', { method: 'POST', body: { name: 'Limits' } })).json()) as { id: string }).id;
  return ((await (await api(server, '/connect/applications', {
    method: 'POST',
    body: { name: 'Limited', application_type: 'oauth', is_first_party: false, organization_id: org, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }] },
  })).json()) as { client_id: string }).client_id;
}

for (const dialect of DIALECTS) {
  describe(`issue #7: authorize limits (${dialect})`, dialectSuite(dialect), () => {
    let now = Date.now();
    let server: TestServer;
    let proxied: TestServer;
    let clientId: string;
    let proxiedClient: string;
    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_AUTHORIZE_RATE_LIMIT: '5' }, clock: { now: () => new Date(now) } });
      clientId = await publicClient(server);
      proxied = await startServer(dialect, { env: { PORTICO_AUTHORIZE_RATE_LIMIT: '2', PORTICO_TRUST_PROXY: 'loopback' } });
      proxiedClient = await publicClient(proxied);
    });
    after(async () => {
      await server.close();
      await proxied.close();
    });
    const authorizeUrl = (s: TestServer, client: string) =>
      `${s.baseUrl}/oauth2/authorize?${new URLSearchParams({ client_id: client, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'x'.repeat(2048), nonce: 'n'.repeat(512), code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`;

    it('issue #7: a flood from one address is cut off with a 429 page (no redirect), rows stay bounded, another address signs in meanwhile', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await getFrom(authorizeUrl(server, clientId), '127.0.0.1');
        statuses.push(r.status);
        if (r.status === 429) {
          assert.equal(r.headers.location, undefined);
          assert.equal(r.headers['retry-after'], '60');
          assert.match(String(r.headers['content-type']), /text\/html/);
          assert.match(r.body, /Too many sign-in attempts/);
          assert.equal(r.headers['set-cookie'], undefined, 'a refused authorization binds nothing');
        }
      }
      assert.deepEqual(statuses, [...Array<number>(5).fill(302), ...Array<number>(35).fill(429)]);
      assert.equal(await interactionRows(server), 5);
      // Another address is not affected: a whole sign-in from 127.0.0.2 works.
      const other = await getFrom(authorizeUrl(server, clientId), '127.0.0.2');
      assert.equal(other.status, 302);
      assert.match(String(other.headers.location), /\/dev\/login\?external_auth_id=ext_auth_/);
      // A minute later the address may start again.
      now += 61_000;
      assert.equal((await getFrom(authorizeUrl(server, clientId), '127.0.0.1')).status, 302);
    });

    it('issue #7: abandoned interactions are purged at expiry (ten minutes), not an hour later', async () => {
      const before = await interactionRows(server);
      assert.ok(before > 0);
      now += 10 * 60_000 + 1000;
      await housekeep(server.storage, { now: () => new Date(now) }, server.config);
      assert.equal(await interactionRows(server), 0);
      // And a complete sign-in still works afterwards.
      const r = await runAuthorization(server, { params: { client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }, user: { id: 'limits', email: `limits-${dialect}@example.test` } });
      assert.ok(r.callback.searchParams.get('code') || r.steps.includes('consent'));
    });

    it('issue #7: behind a trusted proxy each X-Forwarded-For address has its own limit; a client_id has 20 times the limit in all', async () => {
      const from = (ip: string) => getFrom(authorizeUrl(proxied, proxiedClient), '127.0.0.1', { 'x-forwarded-for': ip });
      assert.deepEqual([(await from('203.0.113.1')).status, (await from('203.0.113.1')).status, (await from('203.0.113.1')).status], [302, 302, 429]);
      assert.equal((await from('203.0.113.2')).status, 302);
      // IPv6 clients count by /64.
      assert.deepEqual([(await from('2001:db8:1:2::1')).status, (await from('2001:db8:1:2::99')).status, (await from('2001:db8:1:2:ffff::1')).status], [302, 302, 429]);
      // So far 5 of the client's 40; 35 more addresses fill it, the next one is refused for the client.
      for (let i = 0; i < 35; i++) assert.equal((await from(`198.51.100.${i + 1}`)).status, 302);
      const refused = await from('198.51.100.200');
      assert.equal(refused.status, 429);
      assert.ok((await interactionRows(proxied)) <= 40);
      const metrics = await (await fetch(`${proxied.baseUrl}/metrics`)).text();
      assert.match(metrics, /portico_authorize_throttled_total\{limit="client"\} 1/);
      assert.match(metrics, /portico_authorize_throttled_total\{limit="address"\} 2/);
    });

    it('issue #7: without PORTICO_TRUST_PROXY, X-Forwarded-For is ignored (a client cannot pick its own address)', async () => {
      // `server` trusts no proxy: 127.0.0.3 is one address, whatever it claims.
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await getFrom(authorizeUrl(server, clientId), '127.0.0.3', { 'x-forwarded-for': `192.0.2.${i}` })).status);
      assert.deepEqual(statuses, [302, 302, 302, 302, 302, 429]);
    });
  });
}
