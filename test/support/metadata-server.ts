import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './tls.ts';

export interface Served {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  /** Answer only after this long. */
  readonly delayMs?: number;
}

/**
 * An https server on loopback that serves client metadata documents (and
 * JWK Sets) the test sets per path, with a certificate of its own. Portico
 * trusts it through PORTICO_OUTBOUND_CA_FILE = `caFile`, and reaches loopback
 * only with PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS=on.
 */
export async function startMetadataServer() {
  const tls = selfSignedCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'portico-ca-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, tls.cert);
  const routes = new Map<string, Served>();
  const hits = new Map<string, number>();
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const served = routes.get(path);
    if (!served) return void res.writeHead(404).end('{}');
    const send = () => res.writeHead(served.status ?? 200, { 'content-type': 'application/json', ...served.headers }).end(served.body);
    if (served.delayMs) setTimeout(send, served.delayMs);
    else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    caFile,
    /** Serves `body` (an object is JSON-encoded) at `path`; returns the URL. */
    serve(path: string, served: Served | Record<string, unknown>): string {
      routes.set(path, 'body' in served && typeof served.body === 'string' ? (served as Served) : { body: JSON.stringify(served) });
      return `${base}${path}`;
    },
    hits: (path: string) => hits.get(path) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Documents shaped like the real ones of VS Code and Claude Code (agents-surface.md), at `url`. */
export function vsCodeDocument(url: string) {
  return {
    client_id: url,
    client_name: 'Visual Studio Code',
    client_uri: 'https://code.visualstudio.com/',
    logo_uri: 'https://code.visualstudio.com/assets/favicon.ico',
    redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  };
}

export function claudeCodeDocument(url: string) {
  return {
    client_id: url,
    client_name: 'Claude Code',
    client_uri: 'https://claude.ai',
    redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
