// Issue #3: the oracle of the public GETs (moved out of test/fuzz/oauth-fuzz.test.ts by issue #9):
// JWKS and both discovery documents answer 200 with CORS open to any origin whatever the query
// string and headers; the JWKS publishes the signing key, discovery names the issuer's token endpoint.
import assert from 'node:assert/strict';
import type { Case } from '../oauth/requests.ts';
import type { Ctx } from '../oauth/world.ts';
import { asObject, exchange } from './oauth-endpoints.ts';

export async function checkDiscovery(ctx: Ctx, c: Case): Promise<void> {
  const out = await exchange(ctx, c);
  assert.equal(out.status, 200, `${out.status} ${out.text}\n${out.what}`);
  assert.equal(out.headers.get('access-control-allow-origin'), '*', out.what);
  if (c.method === 'GET') {
    const body = asObject(out.json);
    if (c.endpoint === '/oauth2/jwks') {
      assert.ok(Array.isArray(body?.keys) && body.keys.some((k) => asObject(k)?.kid === ctx.world.kid), `JWKS without the signing key: ${out.text}`);
    } else {
      assert.equal(typeof body?.issuer, 'string', out.text);
      assert.equal(body?.token_endpoint, `${body?.issuer}/oauth2/token`, out.text);
    }
  }
}
