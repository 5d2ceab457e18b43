import { StorageUnavailableError, UniqueViolationError } from '../../domain/errors.ts';

interface DbError {
  code?: unknown;
  errcode?: unknown;
  message?: unknown;
  detail?: unknown;
}

const PG_UNAVAILABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', // admin/crash shutdown, cannot connect now
  '57014', // statement timeout
  '53300', // too many connections
  '08000', '08001', '08003', '08004', '08006',
]);

// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (low byte).
const SQLITE_BUSY_CODES = new Set([5, 6]);

/** The column a unique violation names, or null when `err` is not one. */
export function uniqueViolationColumn(err: unknown): string | null {
  const e = err as DbError;
  if (e?.code === '23505' && typeof e.detail === 'string') {
    return /^Key \(([^)]+)\)/.exec(e.detail)?.[1] ?? 'unknown';
  }
  if (e?.code === 'ERR_SQLITE_ERROR' && typeof e.message === 'string') {
    const m = /UNIQUE constraint failed: [a-z_]+\.([a-z_]+)/.exec(e.message);
    if (m) return m[1]!;
  }
  return null;
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as DbError;
  return e?.code === '23503' || (e?.code === 'ERR_SQLITE_ERROR' && e.errcode === 787);
}

function isUnavailable(err: unknown): boolean {
  const e = err as DbError;
  if (typeof e?.code === 'string' && PG_UNAVAILABLE.has(e.code)) return true;
  if (e?.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') return SQLITE_BUSY_CODES.has(e.errcode & 0xff);
  // pg and pg-pool raise these without a code.
  return typeof e?.message === 'string' && /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error/.test(e.message);
}

/** Maps driver errors to domain errors; anything unrecognised passes through (a 500). */
export function translateError(err: unknown): unknown {
  const column = uniqueViolationColumn(err);
  if (column) return new UniqueViolationError(column);
  if (isUnavailable(err)) return new StorageUnavailableError(err);
  return err;
}

/**
 * Wraps every async method of a repository so that driver errors surface as
 * domain errors, in one place instead of a try/catch per query.
 */
export function translating<T extends object>(repo: T): T {
  // One wrapper per method, made on first access (not per call: this is on the token path).
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(repo, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        wrapper = async (...args: unknown[]) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (err) {
            throw translateError(err);
          }
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}
