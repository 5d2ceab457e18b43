// Issue #14: `portico dashboard set-password` as an operator runs it (the real CLI, the password piped on
// stdin), then signing in to the dashboard with that password; `clear-password` takes it away again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PASSWORD_SETTING } from '../../src/dashboard/password.ts';
import { csrfOf, DashboardBrowser } from '../support/dashboard.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';

for (const dialect of DIALECTS) {
  describe(`issue #14: dashboard password (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(dialect);
    });
    after(async () => {
      await server.close();
    });

    const cli = (args: string[], input: string) =>
      spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', 'dashboard', ...args], {
        cwd: ROOT,
        input,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORTICO_DATABASE_URL: server.storage.url, PORTICO_SECRET_KEY: server.secretKey, PORTICO_LOG_LEVEL: 'silent' },
      });

    const passwordSignIn = async (b: DashboardBrowser, password: string) => {
      const page = await b.get('/dashboard/sign-in');
      return b.post('/dashboard/sign-in', { csrf: csrfOf(page.html), method: 'password', password });
    };

    it('issue #14: a short password is refused and nothing is stored; without one the sign-in page offers API keys only', async () => {
      const short = cli(['set-password'], 'too short\n');
      assert.equal(short.status, 2);
      assert.match(short.stderr, /at least 12 characters/);
      assert.equal(await server.storage.settings.get(PASSWORD_SETTING), null);
      const page = await new DashboardBrowser(server).get('/dashboard/sign-in');
      assert.doesNotMatch(page.html, /id="password"/);
      assert.match(page.html, /portico dashboard set-password/);
      assert.equal((await passwordSignIn(new DashboardBrowser(server), PASSWORD)).status, 401);
    });

    it('issue #14: set-password stores only an scrypt hash; the password signs in to a session of its own; a wrong one is refused', async () => {
      const set = cli(['set-password'], `${PASSWORD}\n`);
      assert.equal(set.status, 0, set.stderr);
      assert.ok(!`${set.stdout}${set.stderr}`.includes(PASSWORD), 'the CLI never prints it');
      const stored = await server.storage.settings.get(PASSWORD_SETTING);
      assert.match(stored ?? '', /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      assert.ok(!stored!.includes(PASSWORD));

      const wrong = await passwordSignIn(new DashboardBrowser(server), `${PASSWORD}!`);
      assert.equal(wrong.status, 401);
      assert.match(wrong.html, /That password is not right/);

      const b = new DashboardBrowser(server);
      const ok = await passwordSignIn(b, PASSWORD);
      assert.equal(ok.status, 303);
      assert.equal(ok.location, '/dashboard/organizations');
      assert.equal((await b.get('/dashboard/organizations')).status, 200);
      const keys = (await (await api(server, '/portico/api_keys')).json()) as { data: { name: string; expires_at: string | null }[] };
      const session = keys.data.find((k) => k.name === 'Dashboard session (password)');
      assert.ok(session?.expires_at, 'the password session has an expiring key of its own');
    });

    it('issue #14: clear-password removes it: the password no longer signs in', async () => {
      const cleared = cli(['clear-password'], '');
      assert.equal(cleared.status, 0, cleared.stderr);
      assert.match(cleared.stdout, /removed/);
      assert.equal(await server.storage.settings.get(PASSWORD_SETTING), null);
      assert.equal((await passwordSignIn(new DashboardBrowser(server), PASSWORD)).status, 401);
      const unknown = cli(['frobnicate'], '');
      assert.equal(unknown.status, 2);
    });
  });
}
