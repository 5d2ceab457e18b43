// Issue #10 (item 4): portico/resource-server as a project that depends on Portico uses it. The two
// examples of README.md's "Resource servers" section (marked <!-- resource-server-example --> and
// <!-- resource-server-mcp-example -->) are written, as they are, into a fresh project whose
// node_modules links to this repository, and run with the Node a user has on PATH (the module is
// plain JavaScript: Node strips no types under node_modules). Only PORTICO_ISSUER and RESOURCE are
// set, to a test Portico and free ports. Then real clients call them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { seedM2MClient, tokenRequest, type SeededClient } from '../support/seed.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { userEnv, userTools } from '../support/user-shell.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The one js block between `<!-- name -->` and `<!-- /name -->`. */
function example(name: string): string {
  const start = README.indexOf(`<!-- ${name} -->`);
  const end = README.indexOf(`<!-- /${name} -->`);
  assert.ok(start !== -1 && end > start, `README.md needs a <!-- ${name} --> region`);
  const blocks = [...README.slice(start, end).matchAll(/^```js\n([\s\S]*?)^```$/gm)];
  assert.equal(blocks.length, 1, `one js block in <!-- ${name} -->`);
  return blocks[0]![1]!;
}

// The system Node when it can run the module (>= 20), else the bundled one; the test's name says which.
const tools = userTools();
const systemMajor = Number(/^v(\d+)/.exec(tools.nodeVersion ?? '')?.[1] ?? 0);
const node = tools.node !== null && systemMajor >= 20 ? tools.node : process.execPath;
const nodeName = node === process.execPath ? `bundled Node ${process.version}` : `system Node ${tools.nodeVersion}`;

async function until(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the example exited (${child.exitCode}): ${output()}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the example did not serve ${url}: ${output()}`);
}

describe(`README resource-server examples in a project depending on Portico, ${nodeName} (issue #10)`, () => {
  let dir: string;
  let portico: TestServer;
  let m2m: SeededClient;
  const apiResource = { url: '' };
  const mcpResource = { url: '' };
  const children: ChildProcess[] = [];

  /** Runs `code` as `file` in the consumer project with RESOURCE set. */
  async function run(file: string, code: string, resource: string, metadataPath: string): Promise<void> {
    writeFileSync(join(dir, file), code);
    let output = '';
    const child = spawn(node, [file], { cwd: dir, env: userEnv({ PORTICO_ISSUER: portico.baseUrl, RESOURCE: resource }), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    children.push(child);
    await until(new URL(metadataPath, resource).href, child, () => output);
  }

  const token = async (resource: string, scope: string) => {
    const res = await tokenRequest(portico, { grant_type: 'client_credentials', resource, scope }, { id: m2m.clientId, secret: m2m.secret });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { access_token: string }).access_token;
  };

  before(async () => {
    apiResource.url = `http://127.0.0.1:${await freePort()}/api`;
    mcpResource.url = `http://127.0.0.1:${await freePort()}/mcp`;
    portico = await startServer('sqlite', { env: { PORTICO_RESOURCES: `${apiResource.url},${mcpResource.url}` } });
    m2m = await seedM2MClient(portico, ['posts:read', 'mcp:tools']);
    // A project that installed Portico: its node_modules holds `portico` (and, for the MCP example, the SDK).
    dir = mkdtempSync(join(tmpdir(), 'portico-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'portico'));
    symlinkSync(join(ROOT, 'node_modules', '@modelcontextprotocol'), join(dir, 'node_modules', '@modelcontextprotocol'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { portico: 'file:portico' } }));
    await run('api.mjs', example('resource-server-example'), apiResource.url, '/.well-known/oauth-protected-resource/api');
    await run('mcp.mjs', example('resource-server-mcp-example'), mcpResource.url, '/.well-known/oauth-protected-resource/mcp');
  });
  after(async () => {
    for (const child of children) child.kill();
    await portico?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('issue #10: the node:http example answers 401 with the metadata URL, then serves the M2M token it was given', async () => {
    const metadataAt = new URL('/.well-known/oauth-protected-resource/api', apiResource.url).href;
    const anonymous = await fetch(`${apiResource.url}/posts`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), `Bearer resource_metadata="${metadataAt}"`);
    const metadata = (await (await fetch(metadataAt)).json()) as { resource: string; authorization_servers: string[] };
    assert.deepEqual([metadata.resource, metadata.authorization_servers], [apiResource.url, [portico.baseUrl]]);
    const res = await fetch(`${apiResource.url}/posts`, { headers: { authorization: `Bearer ${await token(apiResource.url, 'posts:read')}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { hello: m2m.clientId, organization: m2m.orgId, scopes: ['posts:read'] });
    // A token for the MCP server is not one for the API.
    const foreign = await fetch(`${apiResource.url}/posts`, { headers: { authorization: `Bearer ${await token(mcpResource.url, 'posts:read')}` } });
    assert.match(foreign.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="The access token was not issued for this resource"/);
  });

  it('issue #10: the MCP example (requireBearerAuth + mcpTokenVerifier) refuses without a token and runs whoami with one', async () => {
    const anonymous = await fetch(mcpResource.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/);
    const bearer = await token(mcpResource.url, 'mcp:tools');
    const client = new Client({ name: 'readme-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpResource.url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
    try {
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as { content: { text: string }[] };
      assert.equal(result.content[0]?.text, m2m.clientId);
    } finally {
      await client.close();
    }
    // Without mcp:tools, requireBearerAuth answers 403 insufficient_scope.
    const narrow = await fetch(mcpResource.url, { method: 'POST', headers: { authorization: `Bearer ${await token(mcpResource.url, 'posts:read')}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(narrow.status, 403);
    assert.match(narrow.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
  });
});
