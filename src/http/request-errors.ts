import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MalformedRequestError } from '../domain/errors.ts';
import { percentDecode } from '../domain/encoding.ts';

/** Whether a request carries more than one `Authorization` header (Node keeps only the first in `headers`). */
function repeatedAuthorization(request: FastifyRequest): boolean {
  const raw = request.raw.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization' && ++seen > 1) return true;
  return false;
}

/** Names of query parameters whose value held a percent-encoded sequence that is not UTF-8. */
export const INVALID_QUERY = Symbol('invalid-query');

/**
 * Query strings, decoded as Fastify's default does (repeated names become
 * arrays, `+` is a space, no prototype: a parameter may be called
 * `__proto__`), except that a value whose percent-encoded bytes are not UTF-8
 * is not silently turned into U+FFFD: it is kept as sent and its name listed
 * under INVALID_QUERY, so an endpoint that reads that parameter refuses the
 * request (`invalidQueryParameters`) while unknown parameters stay ignored
 * (RFC 6749 §3.1). Issue #8.
 */
export function parseQuery(text: string): Record<string | symbol, unknown> {
  const out = Object.create(null) as Record<string | symbol, unknown>;
  const invalid = new Set<string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    let key: string;
    try {
      key = percentDecode(rawKey);
    } catch {
      continue; // a name no endpoint can ask for
    }
    let value: string;
    try {
      value = percentDecode(rawValue);
    } catch {
      invalid.add(key);
      value = rawValue;
    }
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing as string, value];
  }
  if (invalid.size > 0) out[INVALID_QUERY] = invalid;
  return out;
}

/** The parameters of a parsed query whose values were not UTF-8. */
export function invalidQueryParameters(query: unknown): ReadonlySet<string> {
  const found = (query as Record<symbol, unknown> | null | undefined)?.[INVALID_QUERY];
  return found instanceof Set ? (found as Set<string>) : new Set();
}

/** Root hooks every face inherits: refuse malformed requests before routing into a face's logic. */
export function requestGuards(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    // RFC 9110 §5.3: Authorization is a singleton field; two copies mean one party may read the other one.
    if (repeatedAuthorization(request)) throw new MalformedRequestError('duplicate_authorization_header', 'Send one Authorization header, not several.');
  });
}
