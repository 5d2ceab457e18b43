/**
 * Typed errors raised by domain rules and storage. They carry client-facing
 * text only; each HTTP face maps them to its wire format in exactly one place
 * (management/plugin.ts, oauth/errors.ts).
 */

/** One failed field of a request, `{field, code}` on the WorkOS wire. */
export interface FieldError {
  readonly field: string;
  readonly code: string;
}

export class NotFoundError extends Error {
  readonly kind = 'not_found' as const;
  constructor(resource: string, id: string) {
    super(`${resource} not found: '${id}'.`);
  }
}

/** The request is well-formed but breaks a rule: 422 with `errors`. */
export class ValidationError extends Error {
  readonly kind = 'validation' as const;
  readonly code: string;
  readonly errors: readonly FieldError[];
  constructor(errors: readonly FieldError[], message?: string, code = 'invalid_request_parameters') {
    super(message ?? `Validation failed: ${errors.map((e) => e.code).join(', ')}.`);
    this.errors = errors;
    this.code = code;
  }
}

/** A rule that is about state rather than one field (e.g. the 5-secret cap): 422 with `code`. */
export class UnprocessableError extends Error {
  readonly kind = 'unprocessable' as const;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** 400 with a documented `code`, e.g. `external_id_already_used`. */
export class BadRequestError extends Error {
  readonly kind = 'bad_request' as const;
  readonly code: string;
  /** The HTTP reason phrase as an `error` member, where the API documents one. */
  readonly error: string | undefined;
  constructor(code: string, message: string, options: { error?: string } = {}) {
    super(message);
    this.code = code;
    this.error = options.error;
  }
}

/** 409: the request collides with existing state (a domain already used, a request in flight). */
export class ConflictError extends Error {
  readonly kind = 'conflict' as const;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Raised by storage when a unique constraint rejects a write; services translate it. */
export class UniqueViolationError extends Error {
  readonly kind = 'unique_violation' as const;
  readonly column: string;
  constructor(column: string) {
    super(`unique constraint on ${column}`);
    this.column = column;
  }
}

/** The database cannot be reached: fail closed with 503 + Retry-After (DESIGN.md §4). */
export class StorageUnavailableError extends Error {
  readonly kind = 'storage_unavailable' as const;
  constructor(cause: unknown) {
    super('storage unavailable', { cause });
  }
}
