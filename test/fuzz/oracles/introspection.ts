// Issue #3: the oracle of introspection by a clean client (moved out of test/fuzz/oauth-fuzz.test.ts by
// issue #9): a token byte-identical to a live one, asked by its own client, is active and names that
// client; any other token (mutated, or another client's) is exactly {"active":false} (RFC 7662 §2.2).
import assert from 'node:assert/strict';
import { show } from '../support/harness.ts';
import { probeCase, type TokenProbe } from '../oauth/probes.ts';
import { INTROSPECTION } from '../oauth/requests.ts';
import type { Ctx } from '../oauth/world.ts';
import { asObject, exchange, expectRefusal } from './oauth-endpoints.ts';

export async function checkIntrospection(ctx: Ctx, probe: TokenProbe): Promise<void> {
  const c = probeCase(INTROSPECTION, probe);
  const out = await exchange(ctx, c);
  if (expectRefusal(out)) return;
  assert.equal(out.status, 200, `clean introspection request refused: ${out.status} ${out.text}\n${out.what}`);
  // Two tokens are live (a mutation may splice the sentinel into the victim); byte-identical to either counts.
  const identical = out.token === ctx.world.sentinel || out.token === ctx.world.victim;
  if (identical && probe.caller.startsWith('m2m')) {
    const body = asObject(out.json);
    assert.equal(body?.active, true, `a live token does not introspect active: ${out.text}\n${out.what}`);
    assert.equal(body?.client_id, ctx.world.m2m.clientId, out.text);
  } else {
    assert.deepEqual(
      out.json,
      { active: false },
      `${identical ? "another client's token" : 'a token that differs from the live one'} must introspect exactly {"active":false}: ${out.text}\n${out.what}\n  token sent:  ${show(out.token ?? '<none>', 2000)}\n  live token:  ${show(ctx.world.sentinel, 2000)}`,
    );
  }
}
