import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { isSpecialUse } from './addresses.ts';

/**
 * The one place Portico opens a connection to a URL that a client or an
 * operator supplied (DESIGN.md §7): metadata documents, `jwks_uri`, webhooks.
 *
 * - The host is resolved first and an address in a special-use block
 *   (RFC 6890: loopback, private, link-local, metadata services) is refused;
 *   the connection then goes to exactly that vetted address (the `lookup` is
 *   pinned), and the connected socket's peer address is checked again, so a
 *   DNS answer that changes between the check and the connection (rebinding)
 *   cannot reach a private address.
 * - No redirect is ever followed (a 3xx is returned as it is and callers
 *   refuse it); bodies are capped; every request has a deadline.
 * - `https` only, unless PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS=on (for
 *   development and tests, which also lifts the address policy).
 */

export interface OutboundPolicy {
  readonly allowPrivateNetworks: boolean;
  /** Extra trusted CA certificates (PEM), besides the usual roots: PORTICO_OUTBOUND_CA_FILE. */
  readonly ca: string | null;
}

export interface OutboundRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly maxBytes: number;
  /**
   * What a body over `maxBytes` means: `fail` (default) refuses the answer;
   * `truncate` keeps its first `maxBytes` and closes the connection (webhook
   * deliveries judge the status and keep only an excerpt, issue #13).
   */
  readonly overflow?: 'fail' | 'truncate';
  readonly timeoutMs: number;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type OutboundFailure = 'invalid_url' | 'forbidden_address' | 'dns' | 'connect' | 'timeout' | 'too_large';

/** Why an outbound request could not be made; callers turn it into their own error. */
export class OutboundError extends Error {
  readonly reason: OutboundFailure;
  constructor(reason: OutboundFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** An outbound request function bound to a policy (what the rest of Portico is given). */
export type OutboundFetch = (request: OutboundRequest) => Promise<OutboundResponse>;

async function vettedAddress(hostname: string, policy: OutboundPolicy): Promise<{ address: string; family: 4 | 6 }> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  let candidates: { address: string; family: number }[];
  if (isIP(bare) !== 0) candidates = [{ address: bare, family: isIP(bare) }];
  else {
    try {
      candidates = await lookup(bare, { all: true, verbatim: true });
    } catch (err) {
      throw new OutboundError('dns', `cannot resolve ${bare}`, { cause: err });
    }
  }
  // Any special-use answer refuses the host: a name that resolves to a private address at all is not public.
  if (!policy.allowPrivateNetworks && candidates.some((c) => isSpecialUse(c.address))) {
    throw new OutboundError('forbidden_address', `${bare} resolves to a special-use address`);
  }
  const first = candidates[0];
  if (!first) throw new OutboundError('dns', `${bare} has no address`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** Makes one request under the policy. Never follows redirects; the caller judges the status. */
export function outboundFetch(policy: OutboundPolicy): OutboundFetch {
  const ca = policy.ca === null ? undefined : [...rootCertificates, policy.ca];
  return async (req) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new OutboundError('invalid_url', 'not an absolute URL');
    }
    const https = url.protocol === 'https:';
    if (!https && !(url.protocol === 'http:' && policy.allowPrivateNetworks)) throw new OutboundError('invalid_url', 'only https URLs are fetched');
    if (url.username !== '' || url.password !== '') throw new OutboundError('invalid_url', 'URLs with credentials are not fetched');
    const { address, family } = await vettedAddress(url.hostname, policy);

    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: { ok: OutboundResponse } | { err: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if ('ok' in outcome) resolve(outcome.ok);
        else {
          r.destroy();
          reject(outcome.err instanceof OutboundError ? outcome.err : new OutboundError('connect', `cannot reach ${url.host}`, { cause: outcome.err }));
        }
      };
      const tooLarge = () => new OutboundError('too_large', `the answer is over ${req.maxBytes} bytes`);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // Pinned: the connection goes to the address vetted above, whatever DNS answers now.
      const pinned = ((_h: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => (o.all ? cb(null, [{ address, family }]) : cb(null, address, family))) as unknown as LookupFunction;
      const options: RequestOptions = {
        method: req.method ?? 'GET',
        host,
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: { 'user-agent': 'Portico', ...req.headers, ...(req.body !== undefined && { 'content-length': String(Buffer.byteLength(req.body)) }) },
        agent: false,
        lookup: pinned,
      };
      // TLS verifies the certificate against the URL's host name (SNI too), not the pinned address.
      if (https && isIP(host) === 0) options.servername = host;
      if (https && ca) options.ca = ca;
      const truncate = req.overflow === 'truncate';
      const r = (https ? httpsRequest : httpRequest)(options, (res) => {
        const chunks: Buffer[] = [];
        const answer = () => ({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, req.maxBytes) });
        if (!truncate && Number(res.headers['content-length'] ?? '0') > req.maxBytes) return settle({ err: tooLarge() });
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= req.maxBytes) chunks.push(chunk);
          else if (!truncate) settle({ err: tooLarge() });
          else {
            chunks.push(chunk);
            settle({ ok: answer() });
            r.destroy();
          }
        });
        res.on('end', () => settle({ ok: answer() }));
        res.on('error', (err) => settle({ err }));
      });
      const deadline = setTimeout(() => settle({ err: new OutboundError('timeout', `no complete answer within ${req.timeoutMs} ms`) }), req.timeoutMs);
      r.on('socket', (socket: Socket) => {
        socket.once('connect', () => {
          // Belt and braces: the peer actually connected to must pass the policy too.
          if (!policy.allowPrivateNetworks && socket.remoteAddress !== undefined && isSpecialUse(socket.remoteAddress)) {
            settle({ err: new OutboundError('forbidden_address', 'connected to a special-use address') });
          }
        });
      });
      r.on('error', (err: unknown) => settle({ err }));
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  };
}

/** The outbound function the configuration asks for (PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS, PORTICO_OUTBOUND_CA_FILE). */
export function configuredOutbound(settings: { readonly allowPrivateNetworks: boolean; readonly caFile: string | null }): OutboundFetch {
  return outboundFetch({ allowPrivateNetworks: settings.allowPrivateNetworks, ca: settings.caFile === null ? null : readFileSync(settings.caFile, 'utf8') });
}
