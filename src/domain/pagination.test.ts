// Issue #2: list pagination parameters: limit 1-100, order desc|asc|normal, before/after cursors.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ValidationError } from './errors.ts';
import { assemblePage, parsePageRequest, planKeyset } from './pagination.ts';

it('parses defaults and rejects out-of-range values with 422 field errors', () => {
  assert.deepEqual(parsePageRequest({}), { limit: 10, order: 'desc', before: undefined, after: undefined });
  assert.equal(parsePageRequest({ limit: '100', order: 'normal' }).limit, 100);
  for (const q of [{ limit: '0' }, { limit: '101' }, { limit: '1.5' }, { limit: 'ten' }, { order: 'sideways' }, { before: 'a', after: 'b' }, { after: ['a', 'b'] }]) {
    assert.throws(() => parsePageRequest(q), ValidationError, JSON.stringify(q));
  }
});

it('plans the keyset direction per order and cursor', () => {
  assert.deepEqual(planKeyset({ limit: 5, order: 'desc' }), { direction: 'older', cursor: undefined, fetch: 6 });
  assert.equal(planKeyset({ limit: 5, order: 'desc', after: 'x' }).direction, 'older');
  assert.equal(planKeyset({ limit: 5, order: 'desc', before: 'x' }).direction, 'newer');
  assert.equal(planKeyset({ limit: 5, order: 'asc', after: 'x' }).direction, 'newer');
  assert.equal(planKeyset({ limit: 5, order: 'normal', before: 'x' }).direction, 'older');
  assert.equal(planKeyset({ limit: 5, order: 'normal', after: 'x' }).direction, 'newer');
});

it('returns rows in display order with cursors only where more exist', () => {
  const rows = (ids: string[]) => ids.map((id) => ({ id }));
  // desc, no cursor, 3 rows fetched for limit 2: more exist after.
  assert.deepEqual(assemblePage({ limit: 2, order: 'desc' }, rows(['c', 'b', 'a'])), { data: rows(['c', 'b']), before: null, after: 'b' });
  // desc, before=b: fetched newest-ward (c, d), shown newest first.
  assert.deepEqual(assemblePage({ limit: 2, order: 'desc', before: 'b' }, rows(['c', 'd'])), { data: rows(['d', 'c']), before: null, after: 'c' });
  // empty page keeps both cursors null.
  assert.deepEqual(assemblePage({ limit: 2, order: 'asc', after: 'z' }, []), { data: [], before: null, after: null });
});
