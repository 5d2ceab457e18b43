import { createHash, generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { cleanEnv, freePort, logLines, retryOnPortClash, spawnServer, type ChildServer } from '../lib/child.ts';
import type { WindowUs } from '../lib/proc.ts';
import { PORTICO_ROOT, startPortico as startPorticoServer, type PorticoServer } from '../lib/server.ts';
import type { Layout } from './cli.ts';
import { f, log, NODE, PEER_AUDIENCE, REPO_ROOT, SCOPE, type Alg } from './common.ts';
import { summarizeProfiles, type ProfileSummary } from './profile.ts';

/** Starting, seeding and stopping the servers under test. */

/** A running target and what a request to it needs. */
export interface Live {
  readonly server: ChildServer;
  readonly clientId: string;
  readonly secret: string;
  /** The key set the issued tokens must verify against. */
  jwks(): Promise<JSONWebKeySet>;
  readonly issuer: string;
  /** Portico only: porticoSource() when it started. */
  readonly source: string | null;
}

/**
 * Which Portico code a run measured: the commit plus a digest of every file
 * under src/ (the working tree may differ from the commit, and may change
 * while the benchmark runs).
 */
function porticoSource(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PORTICO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(path.slice(PORTICO_ROOT.length)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(join(PORTICO_ROOT, 'src'));
  return `${commit}+src:${hash.digest('hex').slice(0, 12)}`;
}

export interface PorticoInstance {
  readonly source: string;
  readonly server: PorticoServer;
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly profileDir: string | null;
}

export async function startPortico(layout: Layout, alg: Alg, databaseUrl: string, profileDir: string | null, extraEnv: Record<string, string> = {}): Promise<PorticoInstance> {
  const source = porticoSource();
  const server = await startPorticoServer({
    databaseUrl,
    workers: layout.workers,
    // Portico sets UV_THREADPOOL_SIZE itself (to layout.threads) when it is not in its environment.
    env: { PORTICO_SIGNING_ALG: alg, PORTICO_SIGNING: layout.signing, ...extraEnv },
    nodeArgs: cpuProfArgs(profileDir),
  });
  return { source, server, apiKey: server.apiKey, databaseUrl, profileDir };
}

/** node flags for --profile (cluster workers inherit them, so every process writes a profile on exit). */
function cpuProfArgs(profileDir: string | null): string[] {
  if (profileDir === null) return [];
  mkdirSync(profileDir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
}

/** One management API call with the instance's API key. */
export async function api<T>(p: PorticoInstance, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${p.server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.apiKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** One organization, one M2M application with scopes [read], `secrets` client secrets (through the management API). */
export async function seedClient(p: PorticoInstance, secrets: number): Promise<{ clientId: string; secrets: string[] }> {
  const org = await api<{ id: string }>(p, 'POST', '/organizations', { name: 'Token Bench Org' });
  const app = await api<{ id: string; client_id: string }>(p, 'POST', '/connect/applications', {
    name: 'Token Bench M2M',
    application_type: 'm2m',
    organization_id: org.id,
    scopes: [SCOPE],
  });
  const out: string[] = [];
  for (let i = 0; i < secrets; i++) out.push((await api<{ secret: string }>(p, 'POST', `/connect/applications/${app.id}/client_secrets`)).secret);
  return { clientId: app.client_id, secrets: out };
}

/**
 * One confidential first-party OAuth application (no consent page) with one
 * client secret and one redirect URI, through the management API.
 */
export async function seedFirstPartyApp(p: PorticoInstance, redirectUri: string): Promise<{ clientId: string; secret: string }> {
  const app = await api<{ id: string; client_id: string }>(p, 'POST', '/connect/applications', {
    name: 'Token Bench First Party',
    application_type: 'oauth',
    is_first_party: true,
    redirect_uris: [{ uri: redirectUri, default: true }],
  });
  const { secret } = await api<{ secret: string }>(p, 'POST', `/connect/applications/${app.id}/client_secrets`);
  return { clientId: app.client_id, secret };
}

export function porticoLive(p: PorticoInstance, clientId: string, secret: string): Live {
  return {
    server: p.server,
    clientId,
    secret,
    issuer: `http://localhost:${new URL(p.server.baseUrl).port}`,
    source: p.source,
    jwks: async () => (await (await fetch(`${p.server.baseUrl}/oauth2/jwks`)).json()) as JSONWebKeySet,
  };
}

function peerKey(alg: Alg): { privateJwk: JsonWebKey & { kid: string }; publicJwks: JSONWebKeySet } {
  const { privateKey, publicKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid },
    publicJwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }] },
  };
}

/** A peer in `layout` (oidc-provider signs on the event loop whatever the layout says: give it one process per core). */
export function startPeer(layout: Layout, alg: Alg, kind: 'oidc-provider' | 'ceiling', profileDir: string | null): Promise<Live> {
  return retryOnPortClash(() => startPeerOnce(layout, alg, kind, profileDir));
}

async function startPeerOnce(layout: Layout, alg: Alg, kind: 'oidc-provider' | 'ceiling', profileDir: string | null): Promise<Live> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = `client_bench_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const key = peerKey(alg);
  const server = await spawnServer({
    name: kind,
    cwd: REPO_ROOT,
    command: NODE,
    args: ['--disable-warning=ExperimentalWarning', ...cpuProfArgs(profileDir), `bench/peers/${kind}-server.ts`],
    env: {
      ...cleanEnv(),
      PEER_PORT: String(port),
      PEER_HOST: '127.0.0.1',
      PEER_WORKERS: String(layout.workers),
      PEER_SIGNING: layout.signing,
      ...(layout.threads !== null && { UV_THREADPOOL_SIZE: String(layout.threads) }),
      PEER_ALG: alg,
      PEER_ISSUER: issuer,
      PEER_AUDIENCE,
      PEER_CLIENT_ID: clientId,
      PEER_CLIENT_SECRET: secret,
      PEER_ORG_ID: `org_${randomBytes(8).toString('hex')}`,
      PEER_PRIVATE_JWK: JSON.stringify(key.privateJwk),
    },
    port,
    readyPath: kind === 'ceiling' ? '/health' : '/.well-known/openid-configuration',
    processes: layout.workers > 1 ? layout.workers + 1 : 1,
  });
  return { server, clientId, secret, issuer, source: null, jwks: async () => key.publicJwks };
}

/** What withServer needs of a result row to attach the profile of its measured window(s). */
export interface ProfiledRow {
  readonly target: string;
  readonly windowsUs: readonly WindowUs[];
  profile: ProfileSummary | null;
}

/** Runs `body` with a server that is always stopped (and its profile summarized) afterwards. */
export async function withServer<T>(
  start: () => Promise<{ server: ChildServer; profileDir?: string | null }>,
  body: (server: ChildServer) => Promise<T>,
  cleanups: Set<() => Promise<void>>,
  rowsOf?: () => ProfiledRow[],
): Promise<T> {
  const started = await start();
  const stop = () => started.server.stop();
  cleanups.add(stop);
  try {
    return await body(started.server);
  } finally {
    await stop().catch((e: unknown) => log(`  could not stop ${started.server.name}: ${String(e)}`));
    cleanups.delete(stop);
    for (const line of logLines(started.server.name, started.server.logs(), /in-memory adapter is used/)) log(line);
    const dir = started.profileDir;
    if (dir && rowsOf) {
      try {
        for (const row of rowsOf()) {
          row.profile = summarizeProfiles(dir, row.windowsUs);
          log(`  profile of ${row.target}: ${row.profile.files} processes in ${dir}; busy ${f(row.profile.busyMs / 1000, 1)} s in the measured window`);
        }
      } catch (err) {
        log(`  could not read the profiles in ${dir}: ${String(err)}`);
      }
    }
  }
}

export function dropTemp(dir: string, temps: Set<string>): void {
  rmSync(dir, { recursive: true, force: true });
  temps.delete(dir);
}
