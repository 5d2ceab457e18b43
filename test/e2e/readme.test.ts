// Issue #8 (item 7, "the README must run as pasted"): the quick start of README.md, run the way a reader
// runs it. The shell blocks between <!-- quickstart --> and <!-- /quickstart --> are taken from the README
// itself and run in order in one bash, with the PATH a person has in their own terminal (the system Node
// first: npm's node_modules/.bin additions are removed), against a server started with `npm start` by the
// system npm. A fresh npm cache makes `npx portico` link the project anew, which is where npm would warn
// EBADENGINE. The only liberties: the port (every 8080 in the blocks becomes a free port) and the database
// (a temporary PORTICO_DATABASE_URL, which the server and the CLI read alike, as they share ./data).
// Nothing may reach stderr and nothing may print `undefined`; the last block must yield a JWT that
// verifies against the server's JWKS.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { fencedBlocks, perBlock, README, regionBlocks, ROOT, scriptOf } from '../support/readme.ts';
import { freePort } from '../support/server.ts';
import { userEnv, userTools } from '../support/user-shell.ts';

/** The quick-start blocks, found by their markers; every one must be a shell block. */
const quickstartBlocks = (readme: string) => regionBlocks(readme, 'quickstart');

function run(command: string, args: string[], options: { env: Record<string, string>; timeoutMs: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tools = userTools();
const skip = tools.npm === null || tools.node === null ? 'no npm and node on the PATH a user has (nothing to run the README with)' : false;

describe(`README quick start as pasted, system ${tools.nodeVersion ?? 'Node'} first on PATH (issue #8)`, { skip }, () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverOutput = '';
  const env = (extra: Record<string, string> = {}) =>
    userEnv({ PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}`, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false', ...extra });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-readme-'));
    port = await freePort();
    // `npm start` by the user's npm, in its own process group so the server under it is stopped too.
    server = spawn('npm', ['start'], { cwd: ROOT, env: env({ PORTICO_PORT: String(port), PORTICO_WORKERS: '1', PORTICO_LOG_LEVEL: 'warn' }), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await fetch(`http://localhost:${port}/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`npm start did not come up:\n${serverOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('issue #8: the first screen shows npm install, npm start and npm test, before the quick start', () => {
    const [first] = fencedBlocks(README);
    assert.ok(first, 'README.md has no code block');
    assert.equal(first[0], 'sh');
    for (const command of ['npm install', 'npm start', 'npm test']) assert.match(first[1], new RegExp(`^${command}\\b`, 'm'));
    assert.ok(README.indexOf(first[1]) < README.indexOf('<!-- quickstart -->'));
  });

  it('issue #8: the quick-start blocks run in order in one bash and end with a verified JWT', async () => {
    assert.ok(!tools.node!.startsWith(ROOT), `node on the user's PATH must be the system Node, not ${tools.node}`);
    const blocks = quickstartBlocks(README);
    assert.ok(blocks.some((b) => /\b8080\b/.test(b)), 'the quick start talks to port 8080, where npm start listens');
    const file = join(dir, 'quickstart.sh');
    writeFileSync(file, scriptOf(blocks, port));
    const result = await run('bash', ['--noprofile', '--norc', file], { env: env(), timeoutMs: 120_000 });
    const report = `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n--- server\n${serverOutput}`;

    assert.equal(result.code, 0, report);
    const stdout = perBlock(result.stdout, blocks.length);
    const stderr = perBlock(result.stderr, blocks.length);
    stderr.forEach((text, i) => assert.equal(text, '', `block ${i + 1} wrote to stderr:\n${report}`));
    stdout.forEach((text, i) => {
      assert.notEqual(text.trim(), '', `block ${i + 1} printed nothing:\n${report}`);
      assert.doesNotMatch(text, /\bundefined\b|"error"|\bError\b/, `block ${i + 1}:\n${report}`);
    });

    const answer = JSON.parse(stdout.at(-1)!) as { access_token?: string; token_type?: string };
    assert.equal(answer.token_type, 'Bearer', report);
    const issuer = `http://localhost:${port}`;
    const { payload, protectedHeader } = await jwtVerify(answer.access_token ?? '', createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`)), { issuer });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.match(String(payload.org_id), /^org_/);
    assert.equal(payload.scope, 'posts:read');
  });

  it('issue #8: bin/portico.mjs on a system Node older than 24 says what to run instead, in one line', (t) => {
    const major = Number((tools.nodeVersion ?? 'v0').slice(1).split('.')[0]);
    if (major >= 24) return t.skip(`the system Node is ${tools.nodeVersion}: nothing to refuse`);
    const r = spawnSync(tools.node!, ['bin/portico.mjs', 'help'], { cwd: ROOT, env: env(), encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^portico: needs Node 24 or newer, and this is Node v\d+.*"npx portico \.\.\."/);
  });
});
