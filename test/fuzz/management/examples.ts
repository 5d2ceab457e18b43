// Issue #2: the fixed cases each property of the management fuzz suite runs first, so every route
// sees the classic nasties (fast-check `examples`: they take the first of the property's runs).
// Moved out of test/fuzz/management-fuzz.test.ts by issue #9.
import { build, ENDPOINTS, GETS, ph, WITH_BODY, WITH_ID, type Case, type Endpoint } from './requests.ts';

export function examples(): Record<string, Case[]> {
  const deep = `${'['.repeat(60_000)}${']'.repeat(60_000)}`;
  const json = (endpoint: Endpoint) => build({ endpoint, ...(endpoint.method !== 'GET' && { body: '{"name":"Fuzz"}', contentType: 'application/json' }) });
  return {
    json: WITH_BODY.map((endpoint) => build({ endpoint, body: '{"name":"\\u0000","metadata":{"k\\u0000":"v"},"scopes":[[[]]]}', contentType: 'application/json' })),
    raw: WITH_BODY.flatMap((endpoint) => [
      build({ endpoint, body: '{"name":', contentType: 'application/json' }),
      build({ endpoint, body: '{"__proto__":{"x":1}}', contentType: 'application/json' }),
      build({ endpoint, body: deep, contentType: 'application/json', idempotencyKey: 'fuzz-deep' }),
      build({ endpoint, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), contentType: 'application/json' }),
      build({ endpoint, body: 'name=a', contentType: 'application/x-www-form-urlencoded' }),
      build({ endpoint, body: '{}', contentType: null }),
    ]),
    query: GETS.flatMap((endpoint) => [
      build({ endpoint, query: '?limit=%00&order=%00&before=%00&after=%00&organization_id=%00&domains=%00&search=%00' }),
      build({ endpoint, query: `?before=${ph('org')}%00` }),
      build({ endpoint, query: `?after=${ph('m2m')}%00` }),
      build({ endpoint, query: '?limit=1&limit=2&order=asc&order=desc&domains=a.test&domains=b.test&search=a&search=b' }),
    ]),
    path: WITH_ID.flatMap((endpoint) => [
      build({ endpoint, id: '%00' }),
      build({ endpoint, id: 'a%2Fb' }),
      build({ endpoint, id: 'A'.repeat(600) }),
      build({ endpoint, id: '%E0%A4%A' }),
      json(endpoint),
    ]),
    header: ENDPOINTS.flatMap((endpoint) => [
      build({ endpoint, auth: null }),
      build({ endpoint, auth: 'Basic Zm9vOmJhcg==' }),
      build({ endpoint, auth: 'Bearer garbage' }),
      build({ endpoint, idempotencyKey: 'x'.repeat(256) }),
    ]),
  };
}

