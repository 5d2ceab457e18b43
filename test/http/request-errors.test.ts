// Issue #8 §4, §5: errors a person can act on, and strings that are stored exactly as sent or refused.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** A raw HTTP/1.1 exchange: for what fetch refuses to send (two Authorization headers, invalid UTF-8 bytes). */
function raw(server: TestServer, head: string, body: Buffer = Buffer.alloc(0)): Promise<{ status: number; text: string }> {
  const { port } = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body])));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(data.split(' ')[1]), text: data.slice(data.indexOf('\r\n\r\n') + 4) }));
  });
}

for (const dialect of DIALECTS) {
  describe(`issue #8: request errors (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(dialect);
    });
    after(async () => {
      await server.close();
    });

    it('issue #8: a known path with the wrong method is a 405 with Allow and the face\'s error body', async () => {
      const token = await fetch(`${server.baseUrl}/oauth2/token`);
      assert.equal(token.status, 405);
      assert.match(token.headers.get('allow')!, /POST/);
      assert.equal(((await token.json()) as { error: string }).error, 'invalid_request');
      const org = await api(server, '/organizations/org_01ABC', { method: 'PATCH', body: {} });
      assert.equal(org.status, 405);
      assert.equal(org.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
      const body = (await org.json()) as { message: string; code: string };
      assert.equal(body.code, 'method_not_allowed');
      assert.match(body.message, /PATCH is not allowed/);
      const page = await fetch(`${server.baseUrl}/oauth2/authorize/consent`, { method: 'PUT' });
      assert.equal(page.status, 405);
      assert.match(page.headers.get('content-type')!, /text\/html/);
      // An unknown path is still a 404.
      assert.equal((await api(server, '/nope')).status, 404);
    });

    it('issue #8: a trailing slash is the same path, never an empty ID', async () => {
      const res = await api(server, '/organizations/');
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { object: string }).object, 'list');
    });

    it('issue #8: 415 names the expected content type and the one received', async () => {
      const m = await api(server, '/organizations', { method: 'POST', body: 'name=x', headers: { 'content-type': 'text/plain' } });
      assert.equal(m.status, 415);
      assert.match(((await m.json()) as { message: string }).message, /must be application\/json \(got 'text\/plain'\)/);
      const o = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(o.status, 400);
      assert.match(((await o.json()) as { error_description: string }).error_description, /must be application\/x-www-form-urlencoded \(got 'application\/json'\)/);
    });

    it('issue #8: two Authorization headers are a 400 on every face', async () => {
      const m = await raw(server, `GET /organizations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.apiKey}\r\nAuthorization: Bearer sk_other\r\n`);
      assert.equal(m.status, 400);
      assert.equal((JSON.parse(m.text) as { code: string }).code, 'duplicate_authorization_header');
      const o = await raw(server, 'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\nauthorization: Basic YzpkZA==\r\nContent-Type: application/x-www-form-urlencoded\r\n', Buffer.from('grant_type=client_credentials'));
      assert.equal(o.status, 400);
      assert.equal((JSON.parse(o.text) as { error: string }).error, 'invalid_request');
    });

    it('issue #8: strings that are not well-formed Unicode are refused with {field, code}, not stored as U+FFFD', async () => {
      const bad = await api(server, '/organizations', { method: 'POST', body: '{"name":"a\\ud800b","external_id":"e\\udfff","metadata":{"k\\ud801":"v","ok":"x\\udc00"}}' });
      assert.equal(bad.status, 422);
      const errors = ((await bad.json()) as { errors: { field: string; code: string }[] }).errors;
      assert.deepEqual(errors.map((e) => e.field).sort(), ['external_id', 'metadata.k\ud801', 'metadata.ok', 'name'].sort());
      assert.ok(errors.every((e) => /_invalid$/.test(e.code)));
      // The same text with a valid pair is stored and read back exactly.
      const good = await api(server, '/organizations', { method: 'POST', body: { name: 'a\ud83d\ude00b', external_id: `ok-${dialect}` } });
      assert.equal(good.status, 201);
      const id = ((await good.json()) as { id: string }).id;
      assert.equal(((await (await api(server, `/organizations/${id}`)).json()) as { name: string }).name, 'a\ud83d\ude00b');
      // Profile fields of the complete call and redirect URIs too.
      const complete = await api(server, '/authkit/oauth2/complete', { method: 'POST', body: '{"external_auth_id":"ext_auth_x","user":{"id":"u","email":"u@example.test","first_name":"\\ud800"}}' });
      assert.equal(complete.status, 422);
      const app = await api(server, '/connect/applications', { method: 'POST', body: '{"name":"A","application_type":"oauth","is_first_party":true,"redirect_uris":[{"uri":"https://x.test/\\udfff"}]}' });
      assert.equal(app.status, 422);
      assert.equal(((await app.json()) as { errors: { field: string }[] }).errors[0]!.field, 'redirect_uris[0].uri');
    });

    it('issue #8: raw bytes that are not UTF-8 are a 400 on the management API and invalid_request on OAuth endpoints', async () => {
      const json = await raw(server, `POST /organizations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.apiKey}\r\nContent-Type: application/json\r\n`, Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));
      assert.equal(json.status, 400);
      assert.equal((JSON.parse(json.text) as { code: string }).code, 'invalid_utf8');
      const form = await raw(server, 'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n', Buffer.concat([Buffer.from('grant_type=client_credentials&client_id=a'), Buffer.from([0xc3])]));
      assert.equal(form.status, 400);
      assert.equal((JSON.parse(form.text) as { error: string }).error, 'invalid_request');
      // Percent-encoded bytes that are not UTF-8 in a parameter the endpoint reads: invalid_request.
      const encoded = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=%FF' });
      assert.equal(encoded.status, 400);
      assert.match(((await encoded.json()) as { error_description: string }).error_description, /client_id parameter is not valid UTF-8/);
      // ...while such a parameter that nothing reads is ignored (RFC 6749 §3.1).
      const ignored = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&x=%ED%A0%80' });
      assert.equal(((await ignored.json()) as { error: string }).error, 'invalid_client');
    });

    it('issue #8: at /oauth2/authorize a stored parameter that is not UTF-8 is an error redirect without the broken state', async () => {
      const app = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'U', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: 'https://u.example.test/cb' }] } })).json()) as { client_id: string };
      const res = await fetch(`${server.baseUrl}/oauth2/authorize?client_id=${app.client_id}&response_type=code&scope=openid&state=%FF&nonce=n`, { redirect: 'manual' });
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.equal(location.searchParams.get('state'), null);
      const page = await fetch(`${server.baseUrl}/oauth2/authorize?client_id=%C0${app.client_id}&response_type=code`, { redirect: 'manual' });
      assert.equal(page.status, 400);
      assert.equal(page.headers.get('location'), null);
    });
  });
}
