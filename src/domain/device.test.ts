// Issue #11: the device grant's pure rules: user codes (RFC 8628 §6.1) and the polling interval (§3.5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemRandom } from './random.ts';
import { displayUserCode, normalizeUserCode, newUserCode, pollTiming, USER_CODE_ALPHABET } from './device.ts';

describe('issue #11: device user codes and polling', () => {
  it('user codes are 8 letters of BCDFGHJKLMNPQRSTVWXZ, every letter used, shown as XXXX-XXXX', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const code = newUserCode(systemRandom);
      assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const c of code) seen.add(c);
    }
    assert.equal(seen.size, USER_CODE_ALPHABET.length);
    assert.equal(displayUserCode('BCDFGHJK'), 'BCDF-GHJK');
  });

  it('a typed code is case-insensitive, with hyphens and spaces optional; anything else is no code', () => {
    for (const typed of ['BCDF-GHJK', 'bcdfghjk', ' bcdf ghjk ', 'Bc-Df-Gh-Jk', 'BCDF\tGHJK']) assert.equal(normalizeUserCode(typed), 'BCDFGHJK', typed);
    for (const typed of ['BCDF-GHJ', 'BCDF-GHJKL', 'ABCD-EFGH', 'BCDF-GHJ1', '', 'B'.repeat(65), 'BCDF_GHJK']) assert.equal(normalizeUserCode(typed), null, typed);
  });

  it('the first poll is never too fast; a poll sooner than the interval adds 5 s; waiting the new interval recovers', () => {
    const t = (s: number) => new Date(1_800_000_000_000 + s * 1000);
    assert.deepEqual(pollTiming(null, 5, t(0)), { tooFast: false, intervalSeconds: 5 });
    assert.deepEqual(pollTiming(t(0), 5, t(4.999)), { tooFast: true, intervalSeconds: 10 });
    assert.deepEqual(pollTiming(t(0), 5, t(5)), { tooFast: false, intervalSeconds: 5 });
    assert.deepEqual(pollTiming(t(0), 10, t(10)), { tooFast: false, intervalSeconds: 10 });
    // Bounded: a client that never listens stops growing the interval at the code's lifetime.
    assert.deepEqual(pollTiming(t(0), 300, t(1)), { tooFast: true, intervalSeconds: 300 });
  });
});
