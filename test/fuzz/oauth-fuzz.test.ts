// Issue #3: property-based fuzzing of the token, introspection and revocation endpoints: no 5xx, no hang.
//
// Every property sends real HTTP requests (plain fetch, a 5 s AbortSignal so a
// hang fails the run) to a real Portico on a real port, for every dialect.
// Generated requests are plain data: `@@name@@` placeholders stand for the
// seeded client IDs, secrets and tokens, and token mutations are recipes
// applied to the live token just before sending, so counterexamples shrink
// and print readably.
//
// Two live access tokens of the M2M client are kept: the sentinel, sent to the
// token and introspection endpoints, and the victim, the only one the
// revocation endpoint ever sees. Whenever a request may have revoked either
// (a 200 from /oauth2/revoke for that exact token), it is replaced by a freshly
// minted one, so "the current tokens still introspect active" at the end is a
// real check: nothing but their own revocation may have killed them.
//
// The main server runs with PORTICO_AUTH_FAILURE_LIMIT=999999 so that
// throttling does not turn everything into 429; one property per dialect runs
// on a second server with the default limit, where 429s must be well-formed.
//
// Issue #9 split this file: requests, mutations, forms and cases are in
// test/fuzz/oauth/, the oracles in test/fuzz/oracles/ (oauth-endpoints,
// introspection, revocation, discovery, throttle).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { authCase, formCase, getCase, methodCase, rawCase, throttledCase } from './oauth/cases.ts';
import { examples } from './oauth/examples.ts';
import { tokenProbe } from './oauth/probes.ts';
import type { Case } from './oauth/requests.ts';
import { introspect, mint, NO_THROTTLE, seedWorld, type Ctx } from './oauth/world.ts';
import { checkDiscovery } from './oracles/discovery.ts';
import { checkIntrospection } from './oracles/introspection.ts';
import { exchange } from './oracles/oauth-endpoints.ts';
import { checkRevocation } from './oracles/revocation.ts';
import { checkThrottled } from './oracles/throttle.ts';
import { fuzzRuns } from './support/config.ts';
import { assertHealthy, tally } from './support/harness.ts';
import { fuzzProperty, startSeeded } from './support/suite.ts';

/** Runs per property; 8 properties per dialect. PORTICO_FUZZ_RUNS overrides it. */
const RUNS = fuzzRuns(300);

for (const dialect of DIALECTS) {
  describe(`OAuth endpoint fuzzing (${dialect})`, dialectSuite(dialect), () => {
    const ctx = {} as Ctx;
    const fixed = examples();

    before(async () => {
      ({ server: ctx.server, world: ctx.world } = await startSeeded(dialect, { env: NO_THROTTLE }, seedWorld));
      ctx.statuses = new Map();
      ctx.canMint = true;
    });
    after(async () => {
      await ctx.server?.close();
    });

    const property = <T>(name: string, arbitrary: fc.Arbitrary<T>, cases: readonly T[], check: (value: T) => Promise<void>) =>
      fuzzProperty({
        name,
        arbitrary,
        examples: cases,
        check,
        runs: RUNS,
        reset: () => {
          ctx.statuses = new Map();
        },
        diagnostics: () => [`statuses: ${tally(ctx.statuses)}; live tokens replaced so far: ${ctx.world.rotations}`],
      });
    const generic = async (c: Case) => {
      await exchange(ctx, c);
    };

    property('form bodies from real parameter names on token, introspection and revocation', formCase, fixed.form, generic);
    property('malformed raw bodies, oversized bodies and random content types', rawCase, fixed.raw, generic);
    property('random Authorization headers', authCase, fixed.auth, generic);
    property('introspection of a mutated token by the rightful client is exactly {"active":false}', tokenProbe, fixed.introspect, (probe) => checkIntrospection(ctx, probe));
    property('revoking a mutated token never revokes the real one; revoking the real one does', tokenProbe, fixed.revoke, (probe) => checkRevocation(ctx, probe));
    property('discovery and JWKS with random query strings and headers', getCase, fixed.get, (c) => checkDiscovery(ctx, c));
    property('wrong methods and near-miss paths on every endpoint', methodCase, fixed.method, generic);

    it('well-formed 429s with the default throttle (separate server)', async (t) => {
      const { server, world } = await startSeeded(dialect, {}, seedWorld);
      const throttled: Ctx = { server, world, statuses: new Map(), canMint: false };
      try {
        await fc.assert(
          fc.asyncProperty(throttledCase, (c) => checkThrottled(throttled, c)),
          { numRuns: RUNS },
        );
        t.diagnostic(`statuses: ${tally(throttled.statuses)}`);
        assert.ok((throttled.statuses.get(429) ?? 0) > 0, `the default throttle never answered 429 (statuses: ${tally(throttled.statuses)}): this property checked nothing`);
      } finally {
        await throttled.server.close();
      }
    });

    // After the runs above, on the server they fuzzed: nothing they sent broke it or killed a live token.
    it('the server is still healthy and the current live tokens still introspect active', async (t) => {
      await assertHealthy(ctx.server.baseUrl);
      for (const [name, token] of [['sentinel', ctx.world.sentinel], ['victim', ctx.world.victim]] as const) {
        const state = await introspect(ctx.server, ctx.world.m2m, token);
        assert.equal(state.active, true, `the ${name} token no longer introspects active: ${JSON.stringify(state)}`);
        assert.equal(state.client_id, ctx.world.m2m.clientId);
        assert.deepEqual(await introspect(ctx.server, ctx.world.oauth, token), { active: false }, `the ${name} token is visible to another client`);
      }
      assert.ok((await mint(ctx.server, ctx.world.m2m)).length > 0);
      t.diagnostic(`live tokens replaced after their own revocation: ${ctx.world.rotations}`);
    });
  });
}
