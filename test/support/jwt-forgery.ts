// Issue #10: forged variants of a real token, for the resource-server tests. Each keeps every part
// it does not name byte for byte, so a refusal can only come from the part that changed.
import type { JwksFetch } from 'portico/resource-server';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * `token` with its payload patched (`payload`), its header's `kid` replaced (`kid`), or one
 * character in the middle of its signature changed (`signature`).
 */
export function tamper(token: string, patch: Record<string, unknown>, part: 'payload' | 'signature' | 'kid' = 'payload', kid?: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  if (part === 'kid') return [encode({ ...decode(header), kid }), payload, signature].join('.');
  if (part === 'signature') {
    const i = Math.floor(signature.length / 2);
    return [header, payload, `${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`].join('.');
  }
  return [header, encode({ ...decode(payload), ...patch }), signature].join('.');
}

/** The same claims as an unsecured JWT (RFC 7519 §6: `alg: none`, empty signature). */
export function unsigned(token: string): string {
  const [, payload] = token.split('.') as [string, string];
  return [encode({ alg: 'none', typ: 'at+jwt' }), payload, ''].join('.');
}

/** A fetch for jose's remote JWKS that counts the requests made to `url`. */
export function recordingFetch(url: string): { fetch: JwksFetch; count(): number } {
  let n = 0;
  return {
    fetch: async (target, init) => {
      if (target === url) n++;
      return fetch(target, init);
    },
    count: () => n,
  };
}
