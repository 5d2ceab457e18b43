import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MalformedRequestError, percentDecode, strictUtf8 } from './request-errors.ts';

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
  /** Parameters whose value was not UTF-8: refused when read, ignored otherwise (unknown parameters are ignored). */
  readonly #invalid: ReadonlySet<string>;
  constructor(values: Map<string, string[]>, invalid: ReadonlySet<string> = new Set()) {
    this.#values = values;
    this.#invalid = invalid;
  }

  /**
   * application/x-www-form-urlencoded as URLSearchParams reads it, except that
   * a percent-encoded sequence that is not UTF-8 (`%FF`, an encoded lone
   * surrogate) is refused instead of turned into U+FFFD (issue #8).
   */
  static parse(text: string): Form {
    const values = new Map<string, string[]>();
    const invalid = new Set<string>();
    for (const part of text.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      let k: string;
      let v: string;
      try {
        k = percentDecode(eq === -1 ? part : part.slice(0, eq));
      } catch {
        continue; // a name no endpoint can ask for
      }
      try {
        v = eq === -1 ? '' : percentDecode(part.slice(eq + 1));
      } catch {
        invalid.add(k);
        continue;
      }
      // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
      if (v === '') continue;
      const list = values.get(k);
      if (list) list.push(v);
      else values.set(k, [v]);
    }
    return new Form(values, invalid);
  }

  #check(name: string): void {
    if (this.#invalid.has(name)) throw new MalformedRequestError('invalid_utf8', `The ${name} parameter is not valid UTF-8.`);
  }

  /** One parameter; repeated -> invalid_request (RFC 6749 §3.1, §3.2). */
  get(name: string): string | undefined {
    this.#check(name);
    const list = this.#values.get(name);
    if (list === undefined) return undefined;
    if (list.length > 1) throw new RepeatedParameterError(name);
    return list[0];
  }

  /** Every value of a parameter that may repeat (RFC 8707 `resource`). */
  all(name: string): readonly string[] {
    this.#check(name);
    return this.#values.get(name) ?? [];
  }
}

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
