import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from './errors.ts';

/** A parsed `application/x-www-form-urlencoded` body that keeps repeated names. */
export class Form {
  readonly #values: Map<string, string[]>;
  constructor(values: Map<string, string[]>) {
    this.#values = values;
  }

  static parse(text: string): Form {
    const values = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(text)) {
      // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
      if (v === '') continue;
      const list = values.get(k);
      if (list) list.push(v);
      else values.set(k, [v]);
    }
    return new Form(values);
  }

  /** One parameter; repeated -> invalid_request (RFC 6749 §3.1, §3.2). */
  get(name: string): string | undefined {
    const list = this.#values.get(name);
    if (list === undefined) return undefined;
    if (list.length > 1) throw new OAuthError('invalid_request', `The "${name}" parameter is repeated.`);
    return list[0];
  }

  /** Every value of a parameter that may repeat (RFC 8707 `resource`). */
  all(name: string): readonly string[] {
    return this.#values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }
}

/** Registers the form parser in the OAuth scope; the parsed body is a Form. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Form.parse(typeof body === 'string' ? body : body.toString('utf8')));
  });
}

/** The request's form body; a request without one is an invalid_request. */
export function formOf(request: FastifyRequest): Form {
  if (request.body instanceof Form) return request.body;
  throw new OAuthError('invalid_request', 'The request body must be application/x-www-form-urlencoded.');
}
