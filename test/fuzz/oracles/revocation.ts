// Issue #3: the oracle of revocation by a clean client (moved out of test/fuzz/oauth-fuzz.test.ts by
// issue #9): 200 for any token (RFC 7009 §2.2); revoking a mutated token never revokes the real one
// (exchange() checks that), revoking the real one by its own client does.
import assert from 'node:assert/strict';
import { probeCase, type TokenProbe } from '../oauth/probes.ts';
import { REVOKE } from '../oauth/requests.ts';
import { introspect, type Ctx } from '../oauth/world.ts';
import { exchange, expectRefusal } from './oauth-endpoints.ts';

export async function checkRevocation(ctx: Ctx, probe: TokenProbe): Promise<void> {
  const live = ctx.world.victim;
  const c = probeCase(REVOKE, probe);
  const out = await exchange(ctx, c); // replaces the victim when it was the token sent
  if (expectRefusal(out)) return;
  assert.equal(out.status, 200, `RFC 7009 §2.2: revocation answers 200 for any token: ${out.status} ${out.text}\n${out.what}`);
  // exchange() has already checked that any other token left the live one alone.
  if (out.token === live && probe.caller.startsWith('m2m')) {
    assert.deepEqual(await introspect(ctx.server, ctx.world.m2m, live), { active: false }, `the revoked token still introspects active\n${out.what}`);
  }
}
