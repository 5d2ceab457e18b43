// Issue #8 (item 7, "the README must run as pasted"): `portico try-login` against a real server. The CLI
// runs as its own process (bin/portico.mjs, as `npx portico` starts it); headless Chromium opens the URL
// it prints and does the development login and the consent in the pages, as a person would (the
// development login works only in the browser that started the authorization, so nothing here can fake
// it). Also the one-line failures: error= on the callback, a foreign state, a refused code, no server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { browserSuiteOptions, chromiumPath } from '../support/browser.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STEP_TIMEOUT = 15_000;

interface Run {
  /** The authorization URL, once printed. */
  readonly url: Promise<URL>;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `portico try-login ...` as a separate process with only `env` (plus PATH and HOME). */
function tryLogin(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['bin/portico.mjs', 'try-login', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let stdout = '';
  let stderr = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const url = new Promise<URL>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^ {2}(http\S+\/oauth2\/authorize\?\S+)$/m.exec(stdout);
      if (m) resolve(new URL(m[1]!));
    });
    child.once('exit', () => reject(new Error(`try-login exited before printing a URL:\n${stdout}\n${stderr}`)));
  });
  url.catch(() => {});
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { url, done };
}

/** The JSON block printed after `label  claims: `. */
function printedClaims(stdout: string, label: string): Record<string, unknown> {
  const start = stdout.indexOf(`${label} (JWT`);
  assert.notEqual(start, -1, `no ${label} in:\n${stdout}`);
  const from = stdout.indexOf('claims: ', start) + 'claims: '.length;
  const end = stdout.indexOf('\n  }', from) + '\n  }'.length;
  return JSON.parse(stdout.slice(from, end)) as Record<string, unknown>;
}

function assertOneLineFailure(run: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, pattern);
}

describe('portico try-login in Chromium (issue #8)', browserSuiteOptions(), () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  /** What the CLI needs to open the server's database (for its temporary API key). */
  let databaseEnv: Record<string, string>;

  before(async () => {
    [server, browser] = await Promise.all([startServer('sqlite'), chromium.launch({ executablePath: chromiumPath()!, headless: true, args: CHROMIUM_ARGS })]);
    context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT);
    databaseEnv = { PORTICO_DATABASE_URL: server.storage.url, PORTICO_SECRET_KEY: server.secretKey, PORTICO_ISSUER: server.baseUrl };
  });
  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close();
  });

  it('issue #8: try-login prints a URL; the browser signs in and consents; the CLI prints verified, decoded tokens and exits 0', async () => {
    const run = tryLogin([], databaseEnv);
    const url = await run.url;
    assert.equal(url.origin + url.pathname, `${server.baseUrl}/oauth2/authorize`);
    assert.equal(url.searchParams.get('scope'), 'openid profile email offline_access');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    const page = await context.newPage();
    await page.goto(url.href);
    assert.ok(page.url().startsWith(`${server.baseUrl}/dev/login?`), `expected the development login, got ${page.url()}`);
    await page.fill('#email', 'ada@example.com');
    await page.fill('#first_name', 'Ada');
    await page.click('button[type="submit"]');
    await page.waitForURL((u) => u.pathname === '/oauth2/authorize/consent');
    assert.match(await page.locator('main').innerText(), /Portico try-login/);
    await page.click('button[name="decision"][value="allow"]');
    await page.waitForURL((u) => u.href.startsWith(url.searchParams.get('redirect_uri')!));
    assert.match(await page.locator('h1').innerText(), /Signed in as ada@example\.com/);

    const result = await run.done;
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /^Created the demo app "Portico try-login" \(client_\w+/m);
    const access = printedClaims(result.stdout, 'access_token');
    const id = printedClaims(result.stdout, 'id_token');
    assert.equal(access.iss, server.baseUrl);
    assert.equal(access.sub, id.sub);
    assert.equal(id.email, 'ada@example.com');
    assert.equal(id.given_name, 'Ada');
    assert.equal(id.nonce, url.searchParams.get('nonce'));
    assert.equal(id.aud, url.searchParams.get('client_id'));
    assert.match(result.stdout, /^refresh_token: issued \(opaque, 43 characters; not printed\)$/m);
    assert.match(result.stdout, /codes live 60 s/);

    // The demo app is registered once, without a port; the temporary API key is revoked again.
    const app = await server.storage.applications.find(url.searchParams.get('client_id')!);
    assert.deepEqual(app?.redirectUris.map((r) => r.uri), ['http://127.0.0.1/callback']);
    assert.deepEqual(await server.storage.apiKeys.list(new Date()), []);
  });

  it('issue #8: a second run (--url, --api-key, --port) reuses the demo app; the signed-in browser comes straight back', async () => {
    const port = await freePort();
    const run = tryLogin(['--url', server.baseUrl, '--api-key', server.apiKey, '--port', String(port)], {});
    const url = await run.url;
    assert.equal(url.searchParams.get('redirect_uri'), `http://127.0.0.1:${port}/callback`);
    const page = await context.newPage();
    await page.goto(url.href);
    await page.waitForURL((u) => u.href.startsWith(`http://127.0.0.1:${port}/callback?`));
    const result = await run.done;
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^Using the demo app "Portico try-login"/m);
    assert.equal(printedClaims(result.stdout, 'id_token').email, 'ada@example.com');
    const apps = await server.storage.applications.list({ limit: 100, order: 'asc' }, {});
    assert.equal(apps.data.filter((a) => a.name === 'Portico try-login').length, 1);
  });
});

describe('portico try-login failures (issue #8)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite');
  });
  after(async () => {
    await server?.close();
  });

  /** Starts a run and answers its callback by hand with `params` (state and iss taken from the run). */
  const answer = async (params: (url: URL) => Record<string, string>) => {
    const run = tryLogin(['--api-key', server.apiKey], { PORTICO_ISSUER: server.baseUrl });
    const url = await run.url;
    const callback = new URL(url.searchParams.get('redirect_uri')!);
    for (const [k, v] of Object.entries(params(url))) callback.searchParams.set(k, v);
    const page = await fetch(callback);
    assert.equal(page.status, 400);
    assert.match(await page.text(), /Sign-in failed/);
    return run.done;
  };

  it('issue #8: error= on the callback ends the run with one line and exit 1', async () => {
    const run = await answer((u) => ({ error: 'access_denied', error_description: 'The user declined the request.', state: u.searchParams.get('state')!, iss: server.baseUrl }));
    assertOneLineFailure(run, /^portico: try-login: the authorization ended with access_denied: The user declined the request\.$/);
  });

  it('issue #8: a callback with another state is refused before any token request', async () => {
    const run = await answer(() => ({ code: 'x', state: 'not-this-run', iss: server.baseUrl }));
    assertOneLineFailure(run, /^portico: try-login: the callback carried another state than this request sent/);
  });

  it('issue #8: a callback from another issuer is refused (RFC 9207)', async () => {
    const run = await answer((u) => ({ code: 'x', state: u.searchParams.get('state')!, iss: 'http://evil.example' }));
    assertOneLineFailure(run, /^portico: try-login: the callback's iss \(http:\/\/evil\.example\) is not /);
  });

  it('issue #8: a code the token endpoint refuses ends the run with its error', async () => {
    const run = await answer((u) => ({ code: 'made-up', state: u.searchParams.get('state')!, iss: server.baseUrl }));
    assertOneLineFailure(run, /^portico: try-login: the token endpoint refused the code \(400 invalid_grant/);
  });

  it('issue #8: no server, or no way to get an API key, is one line and exit 1', async () => {
    const port = await freePort();
    const none = await tryLogin(['--api-key', server.apiKey], { PORTICO_ISSUER: `http://127.0.0.1:${port}` }).done;
    assertOneLineFailure(none, /^portico: try-login: nothing answers at http:\/\/127\.0\.0\.1:\d+: start Portico \(npm start\) or pass --url$/);
    const noKey = await tryLogin([], { PORTICO_ISSUER: server.baseUrl, PORTICO_DATABASE_URL: 'sqlite:/nonexistent/portico.db' }).done;
    assertOneLineFailure(noKey, /^portico: try-login: no API key: pass --api-key/);
  });
});
