// Issue #10 "done when": against a fresh `npm start` (the real process, its embedded SQLite, both
// settings on), the MCP SDK connects and calls a tool through a client ID metadata document and
// through dynamic registration.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { startMetadataServer } from '../support/metadata-server.ts';
import { mcpResource, PorticoClientProvider, startMcpServer, type McpTestServer, type Whoami } from '../support/mcp.ts';
import { freePort, type TestServer } from '../support/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const REDIRECT = 'http://127.0.0.1/callback';

describe('issue #10: the MCP SDK against a fresh npm start with metadata documents and registration on', () => {
  let child: ChildProcess;
  let docs: Awaited<ReturnType<typeof startMetadataServer>>;
  let mcp: McpTestServer;
  let portico: Pick<TestServer, 'baseUrl' | 'apiKey'>;
  const dir = mkdtempSync(join(tmpdir(), 'portico-mcp-'));
  before(async () => {
    docs = await startMetadataServer();
    const [port, mcpPort] = [await freePort(), await freePort()];
    const apiKey = `sk_${randomBytes(24).toString('base64url')}`;
    // `npm start` runs exactly this command (package.json); spawned directly so the PID is the server's.
    child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=4', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        PORTICO_DATABASE_URL: `sqlite:${join(dir, 'portico.db')}`,
        PORTICO_PORT: String(port),
        PORTICO_HOST: '127.0.0.1',
        PORTICO_ISSUER: `http://127.0.0.1:${port}`,
        PORTICO_WORKERS: '2',
        PORTICO_API_KEY: apiKey,
        PORTICO_RESOURCES: mcpResource(mcpPort),
        PORTICO_CLIENT_ID_METADATA_DOCUMENTS: 'on',
        PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on',
        PORTICO_DYNAMIC_CLIENT_SCOPES: 'mcp:tools',
        PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on',
        PORTICO_OUTBOUND_CA_FILE: docs.caFile,
        PORTICO_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/2 workers listening/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Portico did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    portico = { baseUrl: `http://127.0.0.1:${port}`, apiKey };
    mcp = await startMcpServer({ port: mcpPort, issuer: portico.baseUrl, guard: 'authenticate' });
  });
  after(async () => {
    await mcp?.close();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await docs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const how of ['cimd', 'dcr'] as const) {
    it(`issue #10: connects and calls a tool through ${how === 'cimd' ? 'a client ID metadata document' : 'dynamic registration'}`, async () => {
      const docUrl = `${docs.base}/npm-start/${how}.json`;
      if (how === 'cimd') docs.serve(new URL(docUrl).pathname, { client_id: docUrl, client_name: 'MCP via npm start', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
      const provider = new PorticoClientProvider({
        portico: portico as TestServer,
        redirectUrl: REDIRECT,
        user: { id: `npm-start-${how}`, email: `npm-start-${how}@example.test` },
        ...(how === 'cimd' ? { clientMetadataUrl: docUrl } : { clientMetadata: { client_name: 'MCP via npm start (registered)' } }),
      });
      const open = () => new StreamableHTTPClientTransport(new URL(mcp.resource), { authProvider: provider });
      const first = open();
      const client = new Client({ name: 'npm-start', version: '1.0.0' });
      await assert.rejects(client.connect(first), (err) => err instanceof UnauthorizedError);
      await first.finishAuth(provider.callbacks[0]!.searchParams);
      await client.close();
      const again = new Client({ name: 'npm-start', version: '1.0.0' });
      await again.connect(open());
      try {
        const result = (await again.callTool({ name: 'whoami', arguments: {} })) as { content: { text: string }[] };
        const who = JSON.parse(result.content[0]!.text) as Whoami;
        assert.match(who.subject, /^user_/);
        assert.equal(who.clientId, how === 'cimd' ? docUrl : provider.client?.client_id);
      } finally {
        await again.close();
      }
    });
  }
});
