import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { ValidationError, type FieldError } from '../domain/errors.ts';
import { strictUtf8 } from '../domain/encoding.ts';

/** Deeper than any request Portico reads; deep nesting only serves to exhaust stacks. */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a JSON text, counting brackets outside strings (one linear scan). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Strings that are not well-formed Unicode (a lone surrogate from a `\ud800`
 * escape): one `{field, code}` per string, named by its path (`name`,
 * `metadata.k`, `user.email`, `redirect_uris[0].uri`). They cannot be stored
 * as sent (the database would hold U+FFFD, and a later read would differ), so
 * they are refused (issue #8).
 */
export function malformedStrings(value: unknown, path = '', out: FieldError[] = []): FieldError[] {
  const top = path.split(/[.[]/)[0] || 'body';
  if (typeof value === 'string') {
    if (!value.isWellFormed()) out.push({ field: path || 'body', code: `${top}_invalid` });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => malformedStrings(v, `${path}[${i}]`, out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const at = path === '' ? k : `${path}.${k}`;
      if (!k.isWellFormed()) out.push({ field: at, code: `${path === '' ? 'body' : top}_invalid` });
      malformedStrings(v, at, out);
    }
  }
  return out;
}

/**
 * JSON bodies: an empty body is "no body" (the WorkOS SDK sends
 * `Content-Type: application/json` on bodiless DELETEs), `__proto__` and
 * `constructor.prototype` keys are refused (prototype poisoning), and a parse
 * failure or nesting beyond MAX_JSON_DEPTH is a 400, never a 500.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON is the only body the management API reads; anything else is a 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req: FastifyRequest, body: string | Buffer, done) => {
    let text: string;
    try {
      // Bytes that are not UTF-8 are refused, never silently replaced with U+FFFD (issue #8).
      text = typeof body === 'string' ? body : strictUtf8(body);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(Object.assign(new SyntaxError(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels.`), { statusCode: 400 }), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      const err = Object.assign(new SyntaxError('Request body is not valid JSON.'), { statusCode: 400 });
      done(err, undefined);
      return;
    }
    const malformed = malformedStrings(parsed);
    if (malformed.length > 0) done(new ValidationError(malformed, 'Strings must be well-formed Unicode (no lone surrogates).'), undefined);
    else done(null, parsed);
  });
}
