// Issue #2: IDs are prefix + 26-char ULID, strictly increasing so keyset pagination is creation order.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createIdGenerator, hasIdShape, ID_PREFIX, UlidFactory } from './ids.ts';

it('IDs are strictly increasing within one millisecond and across', () => {
  let now = 1_700_000_000_000;
  const ids = createIdGenerator(new UlidFactory(() => now));
  const made: string[] = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 100 === 0) now += 1;
    made.push(ids(ID_PREFIX.application));
  }
  const sorted = [...made].sort();
  assert.deepEqual(made, sorted);
  assert.equal(new Set(made).size, made.length);
  for (const id of made) assert.ok(hasIdShape(id, ID_PREFIX.application), id);
});

it('a clock that steps back does not break ordering', () => {
  let now = 2_000_000_000_000;
  const ids = createIdGenerator(new UlidFactory(() => now));
  const a = ids(ID_PREFIX.secret);
  now -= 5000;
  const b = ids(ID_PREFIX.secret);
  assert.ok(b > a);
});
