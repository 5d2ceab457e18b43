// Issue #2: IDs are prefix + 26-char ULID. Issue #7: no ID can be predicted from another one.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createIdGenerator, hasIdShape, ID_PREFIX, UlidFactory } from './ids.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Crockford base32 text -> integer. */
const value = (s: string) => [...s].reduce((n, c) => n * 32n + BigInt(ALPHABET.indexOf(c)), 0n);

/** Longest common prefix of two strings. */
const common = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
};

it('issue #7: ULIDs minted in one millisecond share the timestamp and nothing else', () => {
  const now = 1_700_000_000_000;
  const ids = createIdGenerator(new UlidFactory(() => now));
  const made = Array.from({ length: 2000 }, () => ids(ID_PREFIX.application).slice(ID_PREFIX.application.length));
  assert.equal(new Set(made).size, made.length);
  const time = made[0]!.slice(0, 10);
  for (const id of made) assert.equal(id.slice(0, 10), time);
  // Random parts of consecutive IDs: a shared first character happens by chance 1 time in 32;
  // the monotonic ULID of old shared 14 or more of the 16 characters every time.
  let sharedFirst = 0;
  let smallGaps = 0;
  for (let i = 1; i < made.length; i++) {
    const a = made[i - 1]!.slice(10);
    const b = made[i]!.slice(10);
    if (common(a, b) > 0) sharedFirst++;
    const gap = value(b) - value(a);
    if (gap >= -(1n << 60n) && gap <= 1n << 60n) smallGaps++;
  }
  assert.ok(sharedFirst < made.length / 16, `shared first random character ${sharedFirst} times of ${made.length}`);
  // |gap| ≤ 2^60 out of 2^80 happens with probability ~2^-19 per pair.
  assert.ok(smallGaps <= 2, `${smallGaps} consecutive IDs within 2^60 of each other`);
});

it('issue #7: capability and request IDs carry 130 random bits with no arithmetic relation', () => {
  const ids = createIdGenerator(new UlidFactory(() => 1_700_000_000_000));
  for (const prefix of [ID_PREFIX.externalAuth, ID_PREFIX.request]) {
    const made = Array.from({ length: 2000 }, () => ids.random(prefix));
    assert.equal(new Set(made).size, made.length);
    for (const id of made) assert.ok(hasIdShape(id, prefix), id);
    const values = made.map((id) => value(id.slice(prefix.length)));
    const gaps = new Set<bigint>();
    for (let i = 1; i < values.length; i++) {
      const gap = values[i]! - values[i - 1]!;
      // Neither "previous + small step" nor one repeated step: |gap| < 2^100 has probability 2^-29.
      assert.ok(gap > 1n << 100n || gap < -(1n << 100n), `gap ${gap}`);
      gaps.add(gap);
    }
    assert.equal(gaps.size, values.length - 1);
    // No timestamp: the first ten characters differ between IDs minted in the same millisecond.
    const heads = new Set(made.map((id) => id.slice(prefix.length, prefix.length + 10)));
    assert.ok(heads.size > made.length * 0.99);
    // Every symbol used about equally often at every position (130 bits, not a 48-bit clock plus 80).
    for (let pos = 0; pos < 26; pos++) {
      const counts = new Map<string, number>();
      for (const id of made) counts.set(id[prefix.length + pos]!, (counts.get(id[prefix.length + pos]!) ?? 0) + 1);
      assert.equal(counts.size, 32, `position ${pos} uses ${counts.size} symbols`);
    }
  }
});

it('the time part never steps back when the clock does', () => {
  let now = 2_000_000_000_000;
  const ids = createIdGenerator(new UlidFactory(() => now));
  const a = ids(ID_PREFIX.secret).slice(ID_PREFIX.secret.length, ID_PREFIX.secret.length + 10);
  now -= 5000;
  const b = ids(ID_PREFIX.secret).slice(ID_PREFIX.secret.length, ID_PREFIX.secret.length + 10);
  assert.equal(b, a);
  now += 10_000;
  assert.ok(ids(ID_PREFIX.secret).slice(ID_PREFIX.secret.length, ID_PREFIX.secret.length + 10) > a);
});

it('IDs minted in later milliseconds sort after earlier ones', () => {
  let now = 1_700_000_000_000;
  const ids = createIdGenerator(new UlidFactory(() => now));
  const made: string[] = [];
  for (let i = 0; i < 100; i++) {
    now += 1;
    made.push(ids(ID_PREFIX.application));
  }
  assert.deepEqual(made, [...made].sort());
});
