import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJsonParse from 'secure-json-parse';

/**
 * JSON bodies: an empty body is "no body" (the WorkOS SDK sends
 * `Content-Type: application/json` on bodiless DELETEs), `__proto__` and
 * `constructor.prototype` keys are refused (prototype poisoning), and a parse
 * failure is a 400, never a 500.
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
    try {
      done(null, secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      const err = Object.assign(new SyntaxError('Request body is not valid JSON.'), { statusCode: 400 });
      done(err, undefined);
    }
  });
}
