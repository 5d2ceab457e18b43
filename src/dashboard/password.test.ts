import assert from 'node:assert/strict';
import { it } from 'node:test';
import { systemRandom } from '../domain/random.ts';
import { hashPassword, passwordProblem, verifyPassword } from './password.ts';

it('issue #14: a dashboard password hash verifies its password only, and a tampered hash verifies nothing', async () => {
  const hash = await hashPassword('a long enough password', systemRandom);
  assert.equal(await verifyPassword('a long enough password', hash), true);
  assert.equal(await verifyPassword('a long enough passworD', hash), false);
  // NFC normalization: the same text typed with a combining accent is the same password.
  const accented = await hashPassword('caf\u00e9 au lait, please', systemRandom);
  assert.equal(await verifyPassword('cafe\u0301 au lait, please', accented), true);
  const [scheme, , r, p, salt, digest] = hash.split('$');
  // A settings row asking for 2^30 iterations (gigabytes of memory) is refused before scrypt runs.
  assert.equal(await verifyPassword('a long enough password', [scheme, 2 ** 30, r, p, salt, digest].join('$')), false);
  assert.equal(await verifyPassword('a long enough password', 'plain'), false);
  // The digest's first character, not its last: the last of 43 base64url characters carries only 4 bits, and some changes to it decode to the same bytes.
  const flipped = `${digest!.startsWith('A') ? 'B' : 'A'}${digest!.slice(1)}`;
  assert.equal(await verifyPassword('a long enough password', [scheme, 2 ** 15, r, p, salt, flipped].join('$')), false);
});

it('issue #14: a new dashboard password is 12 to 200 characters without control characters', () => {
  assert.match(passwordProblem('short') ?? '', /at least 12/);
  assert.match(passwordProblem('x'.repeat(201)) ?? '', /at most 200/);
  assert.match(passwordProblem('twelve chars\n!') ?? '', /control/);
  assert.equal(passwordProblem('twelve chars'), null);
});
