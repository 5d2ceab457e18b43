// Issue #4: property-based fuzzing of /oauth2/authorize and the code/refresh grants: no 5xx, never a redirect to an unregistered URI.
//
// Every property sends real HTTP requests (plain fetch, redirect: 'manual', a
// 5 s AbortSignal so a hang fails the run) to a real Portico on a real port,
// for every dialect. Every harness request (seeding included) has the same
// timeout, and a failed setup closes the server it started, so a broken run
// ends instead of hanging. Generated requests are plain data in which
// `@@name@@` placeholders stand for the seeded client IDs, session cookies,
// interaction IDs, binding cookie names and values, CSRF tokens, resume
// links, codes and refresh tokens; they are resolved just before sending, so
// counterexamples shrink and print readably and the runs fast-check replays
// while shrinking meet live objects again.
//
// Each property computes what the answer must be from the request alone (an
// oracle written from the RFCs and the documented behaviour, not from the
// implementation; test/fuzz/oracles/authorize.ts, page-steps.ts and
// token-grants.ts). The world (clients, users, sessions, the page pool, the
// refresh families) is in test/fuzz/authorize/world.ts; the generated cases
// in test/fuzz/authorize/*-cases.ts, the fixed cases each property runs first
// in test/fuzz/authorize/examples.ts. Issue #9 split this file; its fixed
// tests are in test/http/authorize-cases.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Arbitrary } from 'fast-check';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import type { TestServer } from '../support/server.ts';
import { authorizeCase } from './authorize/authorize-cases.ts';
import { AUTHORIZE_EXAMPLES, PAGE_EXAMPLES, TOKEN_EXAMPLES } from './authorize/examples.ts';
import { cleanExchange, cleanRefresh, FAMILY_KINDS, mintCode, newFamily, type Mint } from './authorize/grants.ts';
import { pageCase } from './authorize/page-cases.ts';
import { seedWorld } from './authorize/seed.ts';
import { tokenCase } from './authorize/token-cases.ts';
import { ENV, PUB_REDIRECTS, type Family, type World } from './authorize/world.ts';
import { checkAuthorize } from './oracles/authorize.ts';
import { checkPage } from './oracles/page-steps.ts';
import { checkToken } from './oracles/token-grants.ts';
import { CLOSE_TIMEOUT_MS, fuzzRuns, SETUP_TIMEOUT_MS } from './support/config.ts';
import { assertHealthy, harness, tally } from './support/harness.ts';
import { closeWithin, fuzzProperty, startSeeded } from './support/suite.ts';

/** Runs per property; 3 properties per dialect. PORTICO_FUZZ_RUNS overrides it. */
const RUNS = fuzzRuns(250);
/** Generous bounds, so that a run that stops making progress fails instead of hanging the process. */
const PROPERTY_TIMEOUT_MS = 120_000 + RUNS * 1_000;

/** The world, its four refresh families included. */
async function seedWithFamilies(server: TestServer): Promise<World> {
  const w = await seedWorld(server);
  for (let i = 0; i < FAMILY_KINDS.length; i++) w.families.push(await newFamily(w, i));
  return w;
}

for (const dialect of DIALECTS) {
  describe(`Authorization endpoint and code/refresh grant fuzzing (${dialect})`, dialectSuite(dialect), () => {
    let w: World;
    /** The running server until it is closed. */
    let server: TestServer | undefined;
    const close = async () => {
      const s = server;
      server = undefined;
      if (s) await closeWithin(s, CLOSE_TIMEOUT_MS, `closing the ${dialect} server`);
    };

    before(
      async () => {
        ({ server, world: w } = await startSeeded(dialect, { env: ENV }, seedWithFamilies));
      },
      { timeout: SETUP_TIMEOUT_MS },
    );
    after(close, { timeout: CLOSE_TIMEOUT_MS + 5_000 });

    const property = <T>(name: string, arbitrary: Arbitrary<T>, examples: readonly T[], check: (value: T) => Promise<void>, extra: () => string) =>
      fuzzProperty({
        name,
        arbitrary,
        examples,
        check,
        runs: RUNS,
        timeout: PROPERTY_TIMEOUT_MS,
        reset: () => {
          w.statuses = new Map();
          w.outcomes = new Map();
        },
        diagnostics: () => [`statuses: ${tally(w.statuses)}${extra()}`, `answers: ${[...w.outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}×${n}`).join(', ')}`],
      });

    property('GET /oauth2/authorize: no 5xx, error pages for unknown clients and redirect URIs, redirects only to the registered URI, every authorization bound to its browser', authorizeCase, AUTHORIZE_EXAMPLES, (c) => checkAuthorize(w, c), () => '');

    property('consent, organization, continue, complete and dev login steps: no 5xx, no redirect away without the binding cookie and CSRF token or a live resume link in its own browser', pageCase, PAGE_EXAMPLES, (c) => checkPage(w, c), () => `; page slots replaced: ${w.pool.reseeds}`);

    property('authorization_code and refresh_token grants: no 5xx, a 200 exactly for valid requests', tokenCase, TOKEN_EXAMPLES, (c) => checkToken(w, c), () => `; refresh families replaced after reuse: ${w.replaced}`);

    // After the runs above, on the server they fuzzed: nothing they sent broke it.
    it('the server is still healthy and a clean authorization still works', { timeout: SETUP_TIMEOUT_MS }, async () => {
      await assertHealthy(w.issuer);
      const m: Mint = { client: 'pub', pkce: true, redirect: PUB_REDIRECTS[0], scope: 'openid offline_access', resource: false };
      const { code, verifier } = await mintCode(w, m);
      const body = await cleanExchange(w, m, code, verifier);
      const family: Family = { client: w.pub, scopes: ['openid', 'offline_access'], resource: null, live: body.refresh_token as string, rotated: [], revoked: false };
      await cleanRefresh(w, family);
      const userinfo = await harness(`${w.issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
      assert.equal(userinfo.status, 200, await userinfo.text());
    });
  });
}
