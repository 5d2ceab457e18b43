import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJsonParse from 'secure-json-parse';

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
 * JSON bodies: an empty body is "no body" (the WorkOS SDK sends
 * `Content-Type: application/json` on bodiless DELETEs), `__proto__` and
 * `constructor.prototype` keys are refused (prototype poisoning), and a parse
 * failure or nesting beyond MAX_JSON_DEPTH is a 400, never a 500.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON is the only body the management API reads; anything else is a 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(Object.assign(new SyntaxError(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels.`), { statusCode: 400 }), undefined);
      return;
    }
    try {
      done(null, secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      const err = Object.assign(new SyntaxError('Request body is not valid JSON.'), { statusCode: 400 });
      done(err, undefined);
    }
  });
}
