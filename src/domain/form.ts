import { MalformedRequestError, RepeatedParameterError } from './errors.ts';
import { percentDecode } from './encoding.ts';

/** A parsed `application/x-www-form-urlencoded` body that keeps repeated names. */
export class Form {
  readonly #values: Map<string, string[]>;
  /** Parameters whose value was not UTF-8: refused when read, ignored otherwise (unknown parameters are ignored). */
  readonly #invalid: ReadonlySet<string>;
  /** The parameters this view lets through ({@link only}); null = all. */
  readonly #allowed: ReadonlySet<string> | null;
  constructor(values: Map<string, string[]>, invalid: ReadonlySet<string> = new Set(), allowed: ReadonlySet<string> | null = null) {
    this.#values = values;
    this.#invalid = invalid;
    this.#allowed = allowed;
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

  #visible(name: string): boolean {
    return this.#allowed === null || this.#allowed.has(name);
  }

  #check(name: string): void {
    if (this.#invalid.has(name)) throw new MalformedRequestError('invalid_utf8', `The ${name} parameter is not valid UTF-8.`);
  }

  /** One parameter; repeated -> invalid_request (RFC 6749 §3.1, §3.2). */
  get(name: string): string | undefined {
    if (!this.#visible(name)) return undefined;
    this.#check(name);
    const list = this.#values.get(name);
    if (list === undefined) return undefined;
    if (list.length > 1) throw new RepeatedParameterError(name);
    return list[0];
  }

  /**
   * Only these parameters: what a grant reads (issue #9: anything else in the
   * form is ignored, as oidc-provider's stripGrantIrrelevantParams does).
   * A view over the same parsed values: the form is parsed once (issue #12).
   */
  only(names: readonly string[]): Form {
    return new Form(this.#values, this.#invalid, new Set(names.filter((n) => this.#visible(n))));
  }

  /** Every value of a parameter that may repeat (RFC 8707 `resource`). */
  all(name: string): readonly string[] {
    if (!this.#visible(name)) return [];
    this.#check(name);
    return this.#values.get(name) ?? [];
  }
}

