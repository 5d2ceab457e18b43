// Issue #3: the oracle every request to the OAuth endpoints must pass, whatever was sent (moved out
// of test/fuzz/oauth-fuzz.test.ts by issue #9): no 5xx, no hang, a JSON body; a well-formed 429;
// WWW-Authenticate: Basic on a 401 to Basic credentials; Cache-Control: no-store and an RFC 6749
// §5.2 error body on every answer of a served endpoint; wrong methods refused; a 200 of the token
// endpoint a Bearer token; an active introspection only for an exact live token of its own client,
// any other exactly {"active":false}. A 200 from /oauth2/revoke may have revoked only the token it
// names: a live token sent there is replaced by a fresh one, and any other must have left the live
// ones alone.
import assert from 'node:assert/strict';
import { FORM_LIMIT } from '../support/config.ts';
import { describeRequest, jsonOf, sendGenerated, show } from '../support/harness.ts';
import { formToken, render } from '../oauth/render.ts';
import { INTROSPECTION, isPost, REVOKE, TOKEN, type Case } from '../oauth/requests.ts';
import { introspect, mint, type Ctx } from '../oauth/world.ts';

export interface Outcome {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
  readonly what: string;
  /** The `token` parameter as the server parsed it. */
  readonly token: string | undefined;
  readonly bodyBytes: number;
}

export const asObject = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

const LIMITS = { url: 400, header: 400, body: 1200 };

/** Sends a rendered request and checks everything that must hold for any response. */
export async function exchange(ctx: Ctx, c: Case): Promise<Outcome> {
  const sent = render(c, ctx);
  const what = describeRequest(sent.method, sent.url, sent.headers, sent.body, LIMITS);
  const res = await sendGenerated(ctx.statuses, sent.method, sent.url, sent.headers, sent.body, what);
  const { status, bytes } = res;
  const text = Buffer.from(bytes).toString('utf8');
  const tag = `${status} ${show(text)}\n${what}`;

  // No 5xx at all: 503 would mean the database is down, and it is not.
  assert.ok(status < 500, `server error ${tag}`);
  const json = jsonOf(bytes, () => assert.fail(`body is not JSON: ${tag}`));
  if (status === 429) assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, `429 without a delta-seconds Retry-After: ${tag}`);
  const usedBasic = /^basic(\s|$)/i.test(sent.headers.authorization ?? '');
  if (status === 401 && usedBasic) assert.match(res.headers.get('www-authenticate') ?? '', /\bBasic\b/i, `401 to Basic credentials without WWW-Authenticate: Basic: ${tag}`);

  const exact = c.path === c.endpoint;
  const served = exact && (isPost(c.endpoint) ? c.method === 'POST' : c.method === 'GET' || c.method === 'HEAD');
  const token = formToken(sent.body);
  if (served && isPost(c.endpoint)) {
    // RFC 6749 §5.1: token endpoint responses are never cached; Portico answers every OAuth POST so.
    assert.match(res.headers.get('cache-control') ?? '', /\bno-store\b/, `no Cache-Control: no-store: ${tag}`);
  }
  if (served && status >= 400) {
    const body = asObject(json);
    assert.equal(typeof body?.error, 'string', `OAuth error without a string "error": ${tag}`);
    assert.equal(typeof body?.error_description, 'string', `OAuth error without a string "error_description": ${tag}`);
    assert.match(res.headers.get('cache-control') ?? '', /\bno-store\b/, `error without Cache-Control: no-store: ${tag}`);
  }
  if (exact && !served) {
    // OPTIONS may be a CORS preflight (an empty 2xx); any other wrong method is refused.
    if (c.method === 'OPTIONS' && status < 400) assert.equal(bytes.length, 0, `OPTIONS answered with a body: ${tag}`);
    else assert.ok(status >= 400, `wrong method answered ${tag}`);
    if (json !== undefined) {
      const body = asObject(json);
      assert.ok(typeof body?.message === 'string' || typeof body?.error === 'string', `wrong-method error without "message" or "error": ${tag}`);
    }
  }
  if (served && status < 400) {
    if (c.endpoint === TOKEN) {
      assert.equal(status, 200, tag);
      const body = asObject(json);
      assert.equal(typeof body?.access_token, 'string', `token response without access_token: ${tag}`);
      assert.equal(body?.token_type, 'Bearer', tag);
      assert.ok(typeof body?.expires_in === 'number' && body.expires_in > 0, tag);
      assert.equal(typeof body?.scope, 'string', tag);
    } else if (c.endpoint === INTROSPECTION) {
      assert.equal(status, 200, tag);
      const body = asObject(json);
      if (body?.active === true) {
        // Only an exact live token of the M2M client, asked by that client, may be active.
        assert.ok(token === ctx.world.sentinel || token === ctx.world.victim, `a token that is not a live token introspects active: ${tag}\n  token: ${show(token ?? '<none>', 2000)}`);
        assert.equal(body.client_id, ctx.world.m2m.clientId, `active token answered to the wrong client: ${tag}`);
      } else {
        assert.deepEqual(json, { active: false }, `inactive introspection must be exactly {"active":false}: ${tag}`);
      }
    } else if (c.endpoint === REVOKE) {
      assert.equal(status, 200, tag);
    }
  }
  // A 200 from /oauth2/revoke may have revoked the token it names: a live token sent there is replaced by
  // a fresh one; any other token must have left the live ones alone.
  if (c.endpoint === REVOKE && status === 200 && ctx.canMint) {
    const { world } = ctx;
    if (token === world.sentinel) {
      world.sentinel = await mint(ctx.server, world.m2m);
      world.rotations++;
    }
    if (token === world.victim) {
      world.victim = await mint(ctx.server, world.m2m);
      world.rotations++;
    } else {
      const live = world.victim;
      const state = await introspect(ctx.server, world.m2m, live);
      if (state.active !== true) {
        // Replace it first, so that the runs fast-check makes while shrinking start from a live token again.
        world.victim = await mint(ctx.server, world.m2m);
        world.rotations++;
        assert.fail(
          `revoking a token that is not the live one killed the live one (it now introspects ${JSON.stringify(state)}): ${tag}\n  token sent: ${show(token ?? '<none>', 2000)}\n  live token: ${show(live, 2000)}`,
        );
      }
    }
  }
  return { status, headers: res.headers, text, json, what, token, bodyBytes: sent.body?.length ?? 0 };
}

/**
 * The refusals a clean request may still earn: a form over the 64 KiB limit is a 413, and a token
 * mutated down to nothing is an omitted parameter (RFC 6749 §3.1), hence invalid_request. True when
 * the request was one of those (and was refused so).
 */
export function expectRefusal(out: Outcome): boolean {
  if (out.bodyBytes > FORM_LIMIT) {
    assert.equal(out.status, 413, `a ${out.bodyBytes}-byte form must be refused as too large: ${out.status} ${out.text}\n${out.what}`);
    return true;
  }
  if (out.token === undefined) {
    assert.equal(out.status, 400, `an empty token must be refused: ${out.status} ${out.text}\n${out.what}`);
    assert.equal(asObject(out.json)?.error, 'invalid_request', out.text);
    return true;
  }
  return false;
}
