/**
 * The token benchmark's ceiling: the least a client_credentials token
 * endpoint can do on node:http with the same request and the same token.
 * It parses the form body (URLSearchParams), decodes HTTP Basic, checks ONE
 * SHA-256 digest of the presented secret against a constant, and signs the
 * claim set Portico signs (iss, sub, aud, client_id, org_id, scope, jti, iat,
 * exp) with node:crypto (RS256, or ES256 with ieee-p1363 signatures), answering
 * with the same JSON shape and Cache-Control: no-store. No database, no
 * framework, no logging, no throttling: nothing a real server would need
 * beyond the cryptography.
 *
 * Run by bench/token.ts (see bench/peers/cluster.ts for the environment).
 */
import { createHash, createPrivateKey, randomUUID, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { runPeer, type PeerConfig } from './cluster.ts';

const TTL = 3600;
const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...extra,
  });
  res.end(body);
}

const INVALID_CLIENT = JSON.stringify({ error: 'invalid_client', error_description: 'Client authentication failed.' });
const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="ceiling"' };

function decodeFormPart(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

function ceiling(config: PeerConfig) {
  const key: KeyObject = createPrivateKey({ key: config.privateJwk, format: 'jwk' });
  const signKey = config.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  const headerB64 = Buffer.from(JSON.stringify({ alg: config.alg, kid: config.privateJwk.kid, typ: 'at+jwt' })).toString('base64url');
  const expectedDigest = createHash('sha256').update(config.clientSecret).digest();

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'client_credentials') {
      send(res, 400, JSON.stringify({ error: 'unsupported_grant_type', error_description: 'Only client_credentials.' }));
      return;
    }
    const m = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(req.headers.authorization ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 1) return send(res, 401, INVALID_CLIENT, BASIC_CHALLENGE);
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeFormPart(decoded.slice(0, colon));
      secret = decodeFormPart(decoded.slice(colon + 1));
    } catch {
      return send(res, 401, INVALID_CLIENT, BASIC_CHALLENGE);
    }
    const digest = createHash('sha256').update(secret).digest();
    if (clientId !== config.clientId || !timingSafeEqual(digest, expectedDigest)) return send(res, 401, INVALID_CLIENT, BASIC_CHALLENGE);

    const iat = Math.floor(Date.now() / 1000);
    const scope = 'read';
    const claims = {
      iss: config.issuer,
      sub: clientId,
      aud: config.audience,
      client_id: clientId,
      org_id: config.orgId,
      scope,
      jti: randomUUID(),
      iat,
      exp: iat + TTL,
    };
    const input = `${headerB64}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const answer = (signature: Buffer) => send(res, 200, JSON.stringify({ access_token: `${input}.${signature.toString('base64url')}`, token_type: 'Bearer', expires_in: TTL, scope }));
    if (!config.asyncSigning) return answer(sign('sha256', Buffer.from(input), signKey));
    // The asynchronous form runs on libuv's threadpool (UV_THREADPOOL_SIZE), off the event loop.
    sign('sha256', Buffer.from(input), signKey, (err, signature) => (err ? send(res, 500, '{"error":"server_error"}') : answer(signature)));
  };

  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, '{"status":"ok"}');
    if (req.method !== 'POST' || req.url !== '/oauth2/token') return send(res, 404, '{"error":"not_found"}');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        send(res, 413, '{"error":"invalid_request"}');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!res.headersSent) handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
}

runPeer('ceiling', ceiling);
