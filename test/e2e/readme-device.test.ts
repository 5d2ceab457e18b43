// Issue #11 ("Done when: a CLI driven by openid-client signs a user in through /device in a real browser
// against a fresh npm start"): the README's "CLI sign-in" and "Acting for a user (token exchange)" blocks,
// taken from README.md itself and run in order in one bash with the PATH a reader has (the system Node
// first), against a server started by `npm start` with the PORTICO_RESOURCES the section names, on a
// fresh database. While the CLI block polls, headless Chromium is the person: it opens the URL the CLI
// printed, types the code, signs in with the development login and allows. The last block's answer must
// be an exchanged token that verifies for the API's audience and names the MCP server in act.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import { browserSuiteOptions, CHROMIUM_ARGS, chromiumPath } from '../support/browser.ts';
import { signInOnDevice } from '../support/device-browser.ts';
import { perBlock, README, regionBlocks, ROOT, scriptOf } from '../support/readme.ts';
import { freePort } from '../support/server.ts';
import { userEnv, userTools } from '../support/user-shell.ts';

const RESOURCES = 'https://mcp.example.com,https://api.example.com';
const tools = userTools();
const skip = tools.npm === null || tools.node === null ? 'no npm and node on the PATH a user has' : browserSuiteOptions().skip;

describe('issue #11: README CLI sign-in and token exchange as pasted, against npm start, with Chromium at /device', { skip }, () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverOutput = '';
  let browser: Browser;
  const env = (extra: Record<string, string> = {}) =>
    userEnv({ PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}`, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false', ...extra });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-readme-device-'));
    port = await freePort();
    browser = await chromium.launch({ executablePath: chromiumPath()!, headless: true, args: CHROMIUM_ARGS });
    // As the section says: PORTICO_RESOURCES=... npm start (a fresh database: the first start creates everything).
    server = spawn('npm', ['start'], { cwd: ROOT, env: env({ PORTICO_PORT: String(port), PORTICO_WORKERS: '1', PORTICO_LOG_LEVEL: 'warn', PORTICO_RESOURCES: RESOURCES }), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (await fetch(`http://localhost:${port}/health`).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`npm start did not come up:\n${serverOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('issue #11: the CLI prints where to go, the browser signs in and allows, the CLI gets tokens, the MCP server exchanges them', async () => {
    const blocks = [...regionBlocks(README, 'cli-signin'), ...regionBlocks(README, 'token-exchange')];
    assert.ok(blocks.every((b) => !b.includes('8080') || /localhost:8080/.test(b)));
    const file = join(dir, 'cli-signin.sh');
    writeFileSync(file, scriptOf(blocks, port));
    const child = spawn('bash', ['--noprofile', '--norc', file], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const prompt = new Promise<{ uri: string; code: string }>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /^Open (http\S+\/device) and enter ([A-Z]{4}-[A-Z]{4}) \(or open (\S+)\)$/m.exec(stderr);
        if (m) resolve({ uri: m[1]!, code: m[2]! });
      });
      child.once('exit', () => reject(new Error(`the CLI block ended before printing where to go:\n${stdout}\n${stderr}\n${serverOutput}`)));
    });
    prompt.catch(() => {});
    const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

    const { uri, code } = await prompt;
    assert.equal(uri, `http://localhost:${port}/device`);
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const seen = await signInOnDevice(page, `http://localhost:${port}`, { start: uri, typed: code.toLowerCase(), email: 'reader@example.com', decision: 'allow' });
    assert.ok(seen.consentText.includes(code) && seen.consentText.includes('Acme CLI'), seen.consentText);
    await context.close();

    const exitCode = await done;
    clearTimeout(killer);
    const report = `--- stdout\n${stdout}\n--- stderr\n${stderr}\n--- server\n${serverOutput}`;
    assert.equal(exitCode, 0, report);
    const out = perBlock(stdout, blocks.length);
    const err = perBlock(stderr, blocks.length);
    assert.match(out[0]!, /^CLI_ID=client_\w+$/m, report);
    assert.match(err[1]!, /^Signed in as reader@example\.com$/m, report);
    for (const [i, text] of err.entries()) if (i !== 1) assert.equal(text, '', `block ${i + 1} wrote to stderr:\n${report}`);
    const mcpId = /^MCP_ID=(client_\w+)$/m.exec(out[2]!)?.[1];
    assert.ok(mcpId, report);
    const answer = JSON.parse(out[3]!) as { access_token: string; issued_token_type: string; token_type: string; scope: string };
    assert.equal(answer.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token', report);
    assert.equal(answer.token_type, 'Bearer');
    assert.equal(answer.scope, 'openid');
    const issuer = `http://localhost:${port}`;
    const { payload } = await jwtVerify(answer.access_token, createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`)), { issuer, audience: 'https://api.example.com' });
    assert.deepEqual(payload.act, { sub: mcpId });
    assert.match(String(payload.sub), /^user_/);
  });
});
