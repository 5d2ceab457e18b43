// Issue #3: the oracle of a server with the default failure throttle (moved out of
// test/fuzz/oauth-fuzz.test.ts by issue #9): everything exchange() checks, and a 429's Retry-After
// within the one-minute window.
import assert from 'node:assert/strict';
import type { Case } from '../oauth/requests.ts';
import type { Ctx } from '../oauth/world.ts';
import { exchange } from './oauth-endpoints.ts';

export async function checkThrottled(ctx: Ctx, c: Case): Promise<void> {
  const out = await exchange(ctx, c);
  if (out.status === 429) {
    const retryAfter = Number(out.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After outside the one-minute window: ${out.headers.get('retry-after')}\n${out.what}`);
  }
}
