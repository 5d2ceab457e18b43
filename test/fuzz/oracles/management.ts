// Issue #2: the oracle of every management route (moved out of test/fuzz/management-fuzz.test.ts by
// issue #9): whatever was sent, no 5xx, no hang, a body that is empty or JSON, and on a management
// route every 4xx (but to HEAD) carries a string "message" (the WorkOS error shape).
import assert from 'node:assert/strict';
import { describeRequest, jsonOf, sendGenerated, show } from '../support/harness.ts';
import type { FuzzRequest } from '../management/requests.ts';
import { renderFresh, type Context } from '../management/world.ts';

const LIMITS = { url: 400, header: 200, body: 300 };

/** Sends `req` against the live world and checks what must hold for any answer. */
export async function exchange(ctx: Context, req: FuzzRequest, endpointIsManagement: boolean): Promise<void> {
  const { url, headers, body } = await renderFresh(ctx, req);
  const what = describeRequest(req.method, url, headers, body, LIMITS);
  const { status, bytes } = await sendGenerated(ctx.statuses, req.method, url, headers, body, what);
  if (req.method === 'DELETE' && status >= 200 && status < 300) ctx.stale = true;

  const text = Buffer.from(bytes).toString('utf8');
  assert.ok(status < 500, `server error ${status}: ${show(text)}\n${what}`);
  const parsed = jsonOf(bytes, () => assert.fail(`${status} body is not JSON: ${show(text)}\n${what}`));
  if (endpointIsManagement && status >= 400 && req.method !== 'HEAD') {
    const message = (parsed as { message?: unknown } | undefined)?.message;
    assert.equal(typeof message, 'string', `${status} without a string "message": ${show(text)}\n${what}`);
  }
}
