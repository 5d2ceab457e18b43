/**
 * Portico's closed error model (issue #9): every error raised on purpose is
 * one of the classes below, told apart by a literal `kind`. `PorticoError` is
 * their union and `isPorticoError` its guard; each HTTP face maps the union in
 * exactly one place with an exhaustive `switch` (management/errors.ts,
 * oauth/errors.ts, pages/errors.ts), so a new kind does not compile until
 * every face says what it means. Anything else is a bug: a generic 500 whose
 * detail only the log sees. Client-facing text is the message; log-only
 * detail goes in `cause` / `detail`.
 */

/** Base of the closed set: only the classes in this file extend it. */
abstract class KnownError extends Error {
  abstract readonly kind: string;
}

/** One failed field of a request, `{field, code}` on the WorkOS wire. */
export interface FieldError {
  readonly field: string;
  readonly code: string;
  /** Readable text of this problem, where the API documents one (the webhook endpoints' 422). */
  readonly message?: string;
}

export class NotFoundError extends KnownError {
  readonly kind = 'not_found' as const;
  /** A documented `code`, where the API has one (`entity_not_found` on webhook endpoints). */
  readonly code: string | undefined;
  constructor(resource: string, id: string, code?: string) {
    super(`${resource} not found: '${id}'.`);
    this.code = code;
  }
}

/** The request is well-formed but breaks a rule: 422 with `errors`. */
export class ValidationError extends KnownError {
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
export class UnprocessableError extends KnownError {
  readonly kind = 'unprocessable' as const;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** 400 with a documented `code`, e.g. `external_id_already_used`. */
export class BadRequestError extends KnownError {
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
export class ConflictError extends KnownError {
  readonly kind = 'conflict' as const;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Raised by storage when a unique constraint rejects a write; services translate it. */
export class UniqueViolationError extends KnownError {
  readonly kind = 'unique_violation' as const;
  readonly column: string;
  constructor(column: string) {
    super(`unique constraint on ${column}`);
    this.column = column;
  }
}

/** The database cannot be reached: fail closed with 503 + Retry-After (DESIGN.md §4). */
export class StorageUnavailableError extends KnownError {
  readonly kind = 'storage_unavailable' as const;
  constructor(cause: unknown) {
    super('storage unavailable', { cause });
  }
}

/** No key can sign yet (before the first start finished): a 503, never a token signed some other way. */
export class SigningKeyUnavailableError extends KnownError {
  readonly kind = 'signing_key_unavailable' as const;
  constructor() {
    super('no signing key is active');
  }
}

/**
 * A request refused before any face reads it: bytes that are not UTF-8, a
 * header sent twice where a proxy might read the other copy (issue #8).
 */
export class MalformedRequestError extends KnownError {
  readonly kind = 'malformed_request' as const;
  readonly statusCode = 400;
  readonly code: 'invalid_utf8' | 'duplicate_authorization_header';
  constructor(code: MalformedRequestError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** A parameter that may appear once appeared several times (RFC 6749 §3.1): a client error on every face. */
export class RepeatedParameterError extends KnownError {
  readonly kind = 'repeated_parameter' as const;
  readonly statusCode = 400;
  constructor(name: string) {
    super(`The ${name} parameter is repeated.`);
  }
}

/**
 * RFC 6749 §5.2 error codes, RFC 8707's invalid_target, RFC 7591's registration errors, RFC 8628 §3.5's
 * device polling answers (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`), and
 * RFC 8693 §2.2.2's `unsupported_token_type`. `slow_down` ("increase the interval") is also what the
 * throttles answer with 429: OAuth defines no code of its own for rate limits.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'
  | 'unsupported_token_type'
  | 'temporarily_unavailable'
  | 'server_error'
  // RFC 7591 §3.2.2 (dynamic registration), also answered for a bad Client ID Metadata Document.
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  // RFC 6750 §3.1: a bad bearer token (the RFC 7592 registration access token).
  | 'invalid_token';

export interface OAuthErrorOptions {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** For the log only, never the client (fosite's hint/debug split). */
  readonly detail?: string;
  readonly cause?: unknown;
}

/** An OAuth protocol error: its code, HTTP status and client-facing description. */
export class OAuthError extends KnownError {
  readonly kind = 'oauth' as const;
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly detail: string | undefined;
  constructor(error: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.error = error;
    this.status = options.status ?? 400;
    this.headers = options.headers ?? {};
    this.detail = options.detail;
  }
}

/**
 * A step of the browser flow that cannot go on, shown as an HTML page (never
 * JSON, never a redirect to an unverified URI): its status, title and text.
 */
export class PageFailure extends KnownError {
  readonly kind = 'page' as const;
  readonly status: number;
  readonly title: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, title: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.headers = headers;
  }
}

/** Every error Portico raises on purpose. */
export type PorticoError =
  | NotFoundError
  | ValidationError
  | UnprocessableError
  | BadRequestError
  | ConflictError
  | UniqueViolationError
  | StorageUnavailableError
  | SigningKeyUnavailableError
  | MalformedRequestError
  | RepeatedParameterError
  | OAuthError
  | PageFailure;

export function isPorticoError(err: unknown): err is PorticoError {
  return err instanceof KnownError;
}

/** The `default` of an exhaustive switch: a kind nobody mapped fails to compile. */
export function unmapped(err: never): never {
  throw new Error(`unmapped error kind: ${(err as { kind?: string }).kind}`);
}
