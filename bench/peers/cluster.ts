/**
 * Process layout shared by the token benchmark's peer servers: the same as
 * Portico's (src/main.ts + src/cluster.ts). With PEER_WORKERS > 1 a primary
 * forks that many node:cluster workers that share the port (the primary only
 * distributes connections); with 1 the one process serves. The primary
 * prints `READY <name>` on stdout once every worker is listening.
 *
 * Configuration comes from the environment (the bench sets it):
 *   PEER_PORT, PEER_HOST, PEER_WORKERS, PEER_ALG (RS256 | ES256),
 *   PEER_ISSUER, PEER_AUDIENCE, PEER_CLIENT_ID, PEER_CLIENT_SECRET,
 *   PEER_ORG_ID, PEER_PRIVATE_JWK (the signing key as a private JWK with kid).
 */
import cluster, { type Worker } from 'node:cluster';
import type { JsonWebKey } from 'node:crypto';
import type { Server } from 'node:http';

export type PeerAlg = 'RS256' | 'ES256';

export interface PeerConfig {
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly alg: PeerAlg;
  readonly issuer: string;
  readonly audience: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  /** PEER_SIGNING=async: sign with crypto.sign's callback form (libuv threadpool) instead of on the event loop. */
  readonly asyncSigning: boolean;
  /** Private JWK including `kid`, `alg` and `use`. */
  readonly privateJwk: JsonWebKey & { kid: string };
}

function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    process.stderr.write(`peer: ${name} is required\n`);
    process.exit(2);
  }
  return v;
}

export function readPeerConfig(): PeerConfig {
  const alg = required('PEER_ALG');
  if (alg !== 'RS256' && alg !== 'ES256') {
    process.stderr.write(`peer: PEER_ALG must be RS256 or ES256\n`);
    process.exit(2);
  }
  const jwk = JSON.parse(required('PEER_PRIVATE_JWK')) as JsonWebKey & { kid?: unknown };
  if (typeof jwk.kid !== 'string') {
    process.stderr.write('peer: PEER_PRIVATE_JWK needs a kid\n');
    process.exit(2);
  }
  return {
    port: Number(required('PEER_PORT')),
    host: process.env.PEER_HOST ?? '127.0.0.1',
    workers: Math.max(1, Number(process.env.PEER_WORKERS ?? '1')),
    alg,
    issuer: required('PEER_ISSUER'),
    audience: required('PEER_AUDIENCE'),
    clientId: required('PEER_CLIENT_ID'),
    clientSecret: required('PEER_CLIENT_SECRET'),
    orgId: process.env.PEER_ORG_ID ?? 'org_bench',
    asyncSigning: process.env.PEER_SIGNING === 'async',
    privateJwk: { ...jwk, kid: jwk.kid },
  };
}

/** Runs `createServer` in one process or in PEER_WORKERS cluster workers. */
export function runPeer(name: string, createServer: (config: PeerConfig) => Server): void {
  const config = readPeerConfig();

  if (cluster.isPrimary && config.workers > 1) {
    let listening = 0;
    let stopping = false;
    const workers: Worker[] = [];
    for (let i = 0; i < config.workers; i++) {
      const worker = cluster.fork();
      workers.push(worker);
      worker.once('listening', () => {
        if (++listening === config.workers) process.stdout.write(`READY ${name} ${config.workers} workers\n`);
      });
    }
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      // A benchmark must not silently lose a worker: fail loudly instead of restarting.
      process.stderr.write(`${name}: worker ${String(worker.process.pid)} exited (code ${String(code)}, signal ${String(signal)})\n`);
      stopping = true;
      for (const w of workers) w.process.kill('SIGTERM');
      process.exit(1);
    });
    const stop = () => {
      stopping = true;
      let left = workers.length;
      for (const w of workers) {
        w.once('exit', () => {
          if (--left === 0) process.exit(0);
        });
        w.process.kill('SIGTERM');
      }
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }

  const server = createServer(config);
  server.listen(config.port, config.host, () => {
    if (cluster.isPrimary) process.stdout.write(`READY ${name} 1 process\n`);
  });
  const stop = () => process.exit(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
