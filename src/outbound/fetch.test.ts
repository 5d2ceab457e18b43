// Issue #10 §3: outbound HTTP done once: the address policy before and after connecting, no redirects,
// size and time limits, https only (unless private networks are allowed, for development and tests).
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { selfSignedCertificate } from '../../test/support/tls.ts';
import { OutboundError, outboundFetch } from './fetch.ts';

const failsWith = (reason: string) => (err: unknown) => err instanceof OutboundError && err.reason === reason;

describe('issue #10: outbound fetch', () => {
  let server: Server;
  let base: string;
  let cert: string;
  const hits: string[] = [];
  before(async () => {
    const tls = selfSignedCertificate();
    cert = tls.cert;
    server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/doc') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/doc' }).end();
      if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(6000));
      if (req.url === '/chunked-big') {
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
        return void res.end();
      }
      if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 3000);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const limits = { maxBytes: 5120, timeoutMs: 1000 };

  it('issue #10: with the default policy loopback is refused, by address or by a name that resolves to it, and http is refused', async () => {
    const strict = outboundFetch({ allowPrivateNetworks: false, ca: cert });
    await assert.rejects(strict({ url: `${base}/doc`, ...limits }), failsWith('forbidden_address'));
    await assert.rejects(strict({ url: base.replace('127.0.0.1', 'localhost') + '/doc', ...limits }), failsWith('forbidden_address'));
    await assert.rejects(strict({ url: 'https://169.254.169.254/latest/meta-data/', ...limits }), failsWith('forbidden_address'));
    await assert.rejects(strict({ url: 'https://[::ffff:127.0.0.1]/x', ...limits }), failsWith('forbidden_address'));
    await assert.rejects(strict({ url: 'http://example.com/doc', ...limits }), failsWith('invalid_url'));
    await assert.rejects(strict({ url: 'https://user:pw@example.com/doc', ...limits }), failsWith('invalid_url'));
    assert.deepEqual(hits, [], 'nothing reached the server');
  });

  it('issue #10: allowed to private networks (tests): fetches over TLS with the extra CA, follows no redirect, caps size and time', async () => {
    const open = outboundFetch({ allowPrivateNetworks: true, ca: cert });
    const ok = await open({ url: `${base}/doc`, ...limits });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), '{"ok":true}');
    const redirect = await open({ url: `${base}/redirect`, ...limits });
    assert.equal(redirect.status, 302);
    assert.deepEqual(hits.filter((h) => h === '/doc'), ['/doc'], 'the redirect was not followed');
    await assert.rejects(open({ url: `${base}/big`, ...limits }), failsWith('too_large'));
    await assert.rejects(open({ url: `${base}/chunked-big`, ...limits }), failsWith('too_large'));
    // Issue #13: webhook deliveries keep only the start of an answer instead of refusing it.
    for (const path of ['/big', '/chunked-big']) {
      const cut = await open({ url: `${base}${path}`, ...limits, overflow: 'truncate' });
      assert.equal(cut.status, 200);
      assert.equal(cut.body.length, limits.maxBytes, path);
    }
    const started = Date.now();
    await assert.rejects(open({ url: `${base}/slow`, ...limits }), failsWith('timeout'));
    assert.ok(Date.now() - started < 2500);
    // Without the CA the self-signed certificate is refused.
    await assert.rejects(outboundFetch({ allowPrivateNetworks: true, ca: null })({ url: `${base}/doc`, ...limits }), failsWith('connect'));
  });
});
