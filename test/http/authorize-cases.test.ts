// Issue #4 (browser binding: issue #7): fixed cases of the authorization fuzz suite, moved here
// from test/fuzz/authorize-fuzz.test.ts by issue #9. They run on the fuzz suite's seeded world
// (test/fuzz/authorize/) and, for the repeated parameters, through its oracle
// (test/fuzz/oracles/authorize.ts), each case every time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import type { TestServer } from '../support/server.ts';
import { bindingLines } from '../fuzz/authorize/cookies.ts';
import { add, confBase, set, signedIn } from '../fuzz/authorize/examples.ts';
import { assertClientRedirect, assertPage, send, SERVER_STEPS, serverStep, tag } from '../fuzz/authorize/replies.ts';
import { freshResume, resumeUrl, seedWorld } from '../fuzz/authorize/seed.ts';
import { ENV, type World } from '../fuzz/authorize/world.ts';
import { checkAuthorize } from '../fuzz/oracles/authorize.ts';
import { CLOSE_TIMEOUT_MS, SETUP_TIMEOUT_MS } from '../fuzz/support/config.ts';
import { closeWithin, startSeeded } from '../fuzz/support/suite.ts';

for (const dialect of DIALECTS) {
  describe(`Authorization endpoint fixed cases (${dialect})`, dialectSuite(dialect), () => {
    let w: World;
    let server: TestServer | undefined;

    before(
      async () => {
        ({ server, world: w } = await startSeeded(dialect, { env: ENV }, seedWorld));
      },
      { timeout: SETUP_TIMEOUT_MS },
    );
    after(
      async () => {
        const s = server;
        server = undefined;
        if (s) await closeWithin(s, CLOSE_TIMEOUT_MS, `closing the ${dialect} server`);
      },
      { timeout: CLOSE_TIMEOUT_MS + 5_000 },
    );

    it('a resume link opened in another browser (without its binding cookie) is a 400 page, never a redirect; its own browser still completes', { timeout: SETUP_TIMEOUT_MS }, async () => {
      w.statuses = new Map();
      const link = await freshResume(w);
      const url = resumeUrl(w, link.token);
      const other = w.pool.consent;
      const browsers: [string, string][] = [
        ['a browser without cookies', ''],
        ['another signed-in browser with a binding of its own', `portico_session=${w.sessionB}; ${other.cookieName}=${other.binding}`],
        ['a browser with a forged cookie of the right name', `${link.cookieName}=${other.binding}`],
        ['a browser with the binding under the old fixed name', `portico_interaction=${link.binding}`],
      ];
      for (const [browser, cookieHeader] of browsers) {
        const r = await send(w, 'GET', url, cookieHeader === '' ? {} : { cookie: cookieHeader }, null);
        const context = `${browser}: ${tag(r)}`;
        assert.equal(r.status, 400, `a resume link in another browser: ${context}`);
        assertPage(r, 'error');
        assert.deepEqual(r.headers.getSetCookie(), [], `a refused resume link set a cookie (a session or a binding): ${context}`);
      }
      // The browser that started the authorization: the refusals did not spend the link; it signs in, and is not bound anew.
      const r = await send(w, 'GET', url, { cookie: `${link.cookieName}=${link.binding}` }, null);
      assert.equal(r.status, 302, `the resume link in its own browser: ${tag(r)}`);
      assert.equal(bindingLines(r.headers).length, 0, `the resume link set a binding cookie: ${tag(r)}`);
      assert.equal(r.headers.getSetCookie().filter((line) => line.startsWith('portico_session=')).length, 1, `the resume link did not sign the browser in: ${tag(r)}`);
      const step = serverStep(w, r);
      if (step !== null) assert.ok(SERVER_STEPS.has(step), `redirect to an unexpected path of the server: ${tag(r)}`);
      else {
        const params = assertClientRedirect(w, r, link.client, link.redirectUri);
        assert.ok(params.get('code'), `expected a code: ${tag(r)}`);
        assert.deepEqual(params.getAll('state'), [link.state], `state not echoed: ${tag(r)}`);
      }
      // Spent now, in every browser.
      const again = await send(w, 'GET', url, { cookie: `${link.cookieName}=${link.binding}` }, null);
      assert.equal(again.status, 400, `a spent resume link: ${tag(again)}`);
      assertPage(again, 'error');
    });

    // RFC 6749 §3.1 holds for every parameter name, `__proto__` too: it must not vanish in a plain-object copy of the query.
    // (The authorize fuzz property generates this case as well; this runs it every time.)
    it('a repeated __proto__ parameter at /oauth2/authorize is an invalid_request like any repeated parameter', { timeout: SETUP_TIMEOUT_MS }, async () => {
      w.statuses = new Map();
      w.outcomes = new Map();
      for (const name of ['max_age', '__proto__']) await checkAuthorize(w, { base: confBase, edits: [set(name, 'x'), add(name, 'y')], junk: [], cookie: signedIn });
    });
  });
}
