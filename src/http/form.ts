import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A parameter that may appear once appeared several times (RFC 6749 §3.1): a client error on every face. */
export class RepeatedParameterError extends Error {
  readonly kind = 'repeated_parameter' as const;
  readonly statusCode = 400;
  constructor(name: string) {
    super(`The ${name} parameter is repeated.`);
  }
}

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
    if (list.length > 1) throw new RepeatedParameterError(name);
    return list[0];
  }

  /** Every value of a parameter that may repeat (RFC 8707 `resource`). */
  all(name: string): readonly string[] {
    return this.#values.get(name) ?? [];
  }
}

/** Registers the form parser in a scope; the parsed body is a Form. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Form.parse(typeof body === 'string' ? body : body.toString('utf8')));
  });
}

/** The request's form body, or null when it had none (or another media type). */
export function formOf(request: FastifyRequest): Form | null {
  return request.body instanceof Form ? request.body : null;
}
