import { ValidationError, type FieldError } from './errors.ts';

/**
 * WorkOS list semantics (reference §0): `desc` (default) and `asc` order by
 * creation; `normal` is descending with reversed cursors (`before` pages
 * toward older records, `after` toward newer ones).
 */
export type ListOrder = 'asc' | 'desc' | 'normal';

export interface PageRequest {
  readonly limit: number;
  readonly order: ListOrder;
  readonly before?: string | undefined;
  readonly after?: string | undefined;
}

export interface Page<T> {
  readonly data: T[];
  /** Cursor to pass as `before` for the adjacent page, or null at that end. */
  readonly before: string | null;
  /** Cursor to pass as `after` for the adjacent page, or null at that end. */
  readonly after: string | null;
}

/** Records are keyed by monotonic ULID IDs, so "older" means a smaller ID. */
export type Direction = 'older' | 'newer';

/** What a storage adapter must run: `id < cursor` (older) or `id > cursor` (newer), nearest first. */
export interface KeysetPlan {
  readonly direction: Direction;
  readonly cursor: string | undefined;
  /** Rows to fetch: limit + 1, the extra one only tells whether more exist. */
  readonly fetch: number;
}

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

/** Validates raw query values into a PageRequest (422 on anything out of range). */
export function parsePageRequest(query: {
  limit?: unknown;
  order?: unknown;
  before?: unknown;
  after?: unknown;
}): PageRequest {
  const errors: FieldError[] = [];
  const limit = parseLimit(query.limit, errors);
  let order: ListOrder = 'desc';
  if (query.order !== undefined && query.order !== '') {
    if (query.order === 'asc' || query.order === 'desc' || query.order === 'normal') order = query.order;
    else errors.push({ field: 'order', code: 'order_invalid' });
  }
  const before = cursor(query.before, 'before', errors);
  const after = cursor(query.after, 'after', errors);
  if (before !== undefined && after !== undefined) errors.push({ field: 'before', code: 'before_and_after_exclusive' });
  if (errors.length > 0) throw new ValidationError(errors);
  return { limit, order, before, after };
}

/** A list's `limit`: 1 to MAX_LIMIT, `fallback` when absent; otherwise a 422 item joins `errors` (and `fallback` is returned). */
export function parseLimit(value: unknown, errors: FieldError[], fallback = DEFAULT_LIMIT): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'string' && !/^\d+$/.test(value)) errors.push({ field: 'limit', code: 'limit_invalid' });
  else if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) errors.push({ field: 'limit', code: 'limit_out_of_range' });
  else return n;
  return fallback;
}

function cursor(value: unknown, field: string, errors: FieldError[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  // NUL can match no ID and PostgreSQL cannot even compare it.
  if (typeof value !== 'string' || value.length > 200 || value.includes('\u0000')) {
    errors.push({ field, code: `${field}_invalid` });
    return undefined;
  }
  return value;
}

/** Display order: everything but `asc` lists newest first. */
function displayDirection(order: ListOrder): Direction {
  return order === 'asc' ? 'newer' : 'older';
}

/** Which cursor parameter continues in display order (`normal` reverses them). */
function forwardParam(order: ListOrder): 'before' | 'after' {
  return order === 'normal' ? 'before' : 'after';
}

/** Turns a page request into the one keyset query a storage adapter runs. */
export function planKeyset(req: PageRequest): KeysetPlan {
  const display = displayDirection(req.order);
  const fwd = forwardParam(req.order);
  const given = req.before !== undefined ? 'before' : req.after !== undefined ? 'after' : undefined;
  const cursorValue = given === undefined ? undefined : req[given];
  const direction = given === undefined || given === fwd ? display : opposite(display);
  return { direction, cursor: cursorValue, fetch: req.limit + 1 };
}

/**
 * Shapes the rows a storage adapter fetched for `planKeyset(req)` (nearest the
 * cursor first, up to limit + 1) into the page and its `list_metadata`.
 */
export function assemblePage<T extends { id: string }>(req: PageRequest, rows: T[]): Page<T> {
  const plan = planKeyset(req);
  const display = displayDirection(req.order);
  const fwd = forwardParam(req.order);
  const back = fwd === 'after' ? 'before' : 'after';
  const hasMore = rows.length > req.limit;
  const kept = rows.slice(0, req.limit);
  const withDisplay = plan.direction === display;
  const data = withDisplay ? kept : kept.reverse();
  const first = data[0]?.id ?? null;
  const last = data[data.length - 1]?.id ?? null;
  const cursors = { before: null as string | null, after: null as string | null };
  if (withDisplay) {
    cursors[fwd] = hasMore ? last : null;
    cursors[back] = plan.cursor !== undefined ? first : null;
  } else {
    cursors[back] = hasMore ? first : null;
    cursors[fwd] = last;
  }
  return { data, before: cursors.before, after: cursors.after };
}

function opposite(d: Direction): Direction {
  return d === 'older' ? 'newer' : 'older';
}
