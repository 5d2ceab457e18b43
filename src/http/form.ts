import type { FastifyInstance, FastifyRequest } from 'fastify';
import { strictUtf8 } from '../domain/encoding.ts';
import { Form } from '../domain/form.ts';

export { Form };

/** Registers the form parser in a scope; the parsed body is a Form. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    try {
      done(null, Form.parse(typeof body === 'string' ? body : strictUtf8(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** The request's form body, or null when it had none (or another media type). */
export function formOf(request: FastifyRequest): Form | null {
  return request.body instanceof Form ? request.body : null;
}
