import { ValidationError, type FieldError } from './errors.ts';

interface StringRule {
  readonly max: number;
  readonly min?: number;
  readonly pattern?: RegExp;
}

interface ArrayRule extends StringRule {
  readonly maxItems: number;
}

/**
 * Reads one JSON request body field by field and collects every problem as
 * `{field, code}` (code = `<field>_<problem>`, so the SDK's rebuilt message
 * names the field). `undefined` means absent, `null` means an explicit null;
 * callers decide what null means (WorkOS SDKs send null for "not given").
 */
export class BodyReader {
  readonly #body: Record<string, unknown>;
  readonly errors: FieldError[] = [];

  constructor(body: unknown) {
    if (body === undefined || body === null) this.#body = {};
    else if (typeof body === 'object' && !Array.isArray(body)) this.#body = body as Record<string, unknown>;
    else {
      this.#body = {};
      this.fail('body', 'body_must_be_object');
    }
  }

  has(key: string): boolean {
    return this.#body[key] !== undefined && this.#body[key] !== null;
  }

  raw(key: string): unknown {
    return this.#body[key];
  }

  fail(field: string, code: string): void {
    this.errors.push({ field, code });
  }

  string(key: string, rule: StringRule): string | null | undefined {
    const v = this.#body[key];
    if (v === undefined || v === null) return v;
    return this.#checkString(key, v, rule);
  }

  requiredString(key: string, rule: StringRule): string {
    const v = this.#body[key];
    if (v === undefined || v === null) {
      this.fail(key, `${key}_required`);
      return '';
    }
    return this.#checkString(key, v, rule) ?? '';
  }

  boolean(key: string): boolean | null | undefined {
    const v = this.#body[key];
    if (v === undefined || v === null) return v;
    if (typeof v !== 'boolean') {
      this.fail(key, `${key}_must_be_boolean`);
      return undefined;
    }
    return v;
  }

  requiredBoolean(key: string): boolean {
    const v = this.boolean(key);
    if (v === undefined && !this.errors.some((e) => e.field === key)) this.fail(key, `${key}_required`);
    if (v === null) this.fail(key, `${key}_required`);
    return v ?? false;
  }

  stringArray(key: string, rule: ArrayRule): string[] | null | undefined {
    const v = this.#body[key];
    if (v === undefined || v === null) return v;
    if (!Array.isArray(v)) {
      this.fail(key, `${key}_must_be_array`);
      return undefined;
    }
    if (v.length > rule.maxItems) {
      this.fail(key, `${key}_too_many`);
      return undefined;
    }
    const out: string[] = [];
    v.forEach((item: unknown, i) => {
      const s = this.#checkString(`${key}[${i}]`, item, rule, key);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  #checkString(field: string, v: unknown, rule: StringRule, codeStem = field): string | undefined {
    if (typeof v !== 'string') {
      this.fail(field, `${codeStem}_must_be_string`);
      return undefined;
    }
    // NUL is never meaningful in text and PostgreSQL cannot store it.
    if (v.includes('\u0000')) {
      this.fail(field, `${codeStem}_invalid`);
      return undefined;
    }
    if (v.length > rule.max) {
      this.fail(field, `${codeStem}_too_long`);
      return undefined;
    }
    if (v.length < (rule.min ?? 0)) {
      this.fail(field, codeStem === field && (rule.min ?? 0) === 1 ? `${codeStem}_required` : `${codeStem}_too_short`);
      return undefined;
    }
    if (rule.pattern && !rule.pattern.test(v)) {
      this.fail(field, `${codeStem}_invalid`);
      return undefined;
    }
    return v;
  }

  /** Throws the collected errors as one 422. */
  done(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors);
  }
}

/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** One line of printable text: no control characters (names). */
export const SINGLE_LINE = /^[^\u0000-\u001F\u007F]*$/u;

/** WorkOS metadata limits (OpenAPI OrganizationDto / UserObject): ≤50 keys of 1-40 characters, string values ≤600. */
export const METADATA_LIMITS = { maxKeys: 50, keyMax: 40, valueMax: 600 } as const;

/** What is wrong with a metadata object, in words, or null when it is valid. */
export function metadataProblem(value: unknown): string | null {
  const { maxKeys, keyMax, valueMax } = METADATA_LIMITS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of string values';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > maxKeys) return `at most ${maxKeys} keys`;
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > keyMax || k.includes('\u0000')) return `keys must be 1-${keyMax} characters`;
    if (typeof v !== 'string') return `value of '${k.slice(0, keyMax)}' must be a string`;
    if (v.length > valueMax || v.includes('\u0000')) return `values must be at most ${valueMax} characters`;
  }
  return null;
}
