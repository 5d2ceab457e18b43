// Issue #2: property-based fuzzing of every management route: no 5xx, no hang, no crash.
//
// Every property sends real HTTP requests (plain fetch, a 5 s AbortSignal so a
// hang fails the run) to a real Portico on a real port, for every dialect.
// Generated requests are plain data in which `@@name@@` placeholders stand for
// the IDs of objects seeded through the API; they are substituted just before
// sending, so path IDs, bodies and query strings sometimes hit real objects.
// The world is re-seeded after a successful DELETE and every few runs.
//
// Issue #9 split this file: requests, world, bodies, cases and examples are in
// test/fuzz/management/, the oracle in test/fuzz/oracles/management.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Arbitrary } from 'fast-check';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api } from '../support/server.ts';
import { headerCase, jsonBodyCase, pathIdCase, queryCase, rawBodyCase } from './management/cases.ts';
import { examples } from './management/examples.ts';
import type { Case } from './management/requests.ts';
import { seedWorld, type Context } from './management/world.ts';
import { exchange } from './oracles/management.ts';
import { fuzzRuns } from './support/config.ts';
import { assertHealthy, tally } from './support/harness.ts';
import { fuzzProperty, startSeeded } from './support/suite.ts';

/** Runs per property; 5 properties per dialect. PORTICO_FUZZ_RUNS overrides it. */
const RUNS = fuzzRuns(400);

for (const dialect of DIALECTS) {
  describe(`management API fuzzing (${dialect})`, dialectSuite(dialect), () => {
    const ctx = {} as Context;
    const fixed = examples();

    before(async () => {
      ({ server: ctx.server, world: ctx.world } = await startSeeded(dialect, {}, seedWorld));
      ctx.stale = false;
      ctx.runsSinceSeed = 0;
      ctx.statuses = new Map();
    });
    after(async () => {
      await ctx.server?.close();
    });

    const property = (name: string, arbitrary: Arbitrary<Case>, cases: Case[] | undefined) =>
      fuzzProperty({
        name,
        arbitrary,
        examples: cases ?? [],
        check: async (c) => exchange(ctx, c.request, c.endpoint.management),
        runs: RUNS,
        reset: () => {
          ctx.statuses = new Map();
        },
        diagnostics: () => [`statuses: ${tally(ctx.statuses)}`],
      });

    property('random JSON values and field-shaped bodies on every write route', jsonBodyCase, fixed.json);
    property('malformed raw bodies and random content types', rawBodyCase, fixed.raw);
    property('random query strings on every GET route', queryCase, fixed.query);
    property('random path IDs on every route with an ID', pathIdCase, fixed.path);
    property('random Authorization, Idempotency-Key and other headers on every route', headerCase, fixed.header);

    // After the runs above, on the server they fuzzed: nothing they sent broke it.
    it('the server is still healthy afterwards', async () => {
      await assertHealthy(ctx.server.baseUrl);
      const res = await api(ctx.server, '/organizations?limit=1');
      assert.equal(res.status, 200);
    });
  });
}
