// Issue #4: profile and email claims by scope; claims without a value are left out (OIDC Core §5.3.2).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { User } from '../../domain/user.ts';
import { profileClaims } from './issue.ts';

const user = (over: Partial<User>): User => ({
  id: 'user_1',
  externalId: 'e',
  email: 'a@b.test',
  emailVerified: true,
  lastSignInAt: null,
  firstName: null,
  lastName: null,
  metadata: {},
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

it('adds profile claims only for the profile scope, and never as null', () => {
  assert.deepEqual(profileClaims(user({ firstName: 'Ada', lastName: 'Lovelace' }), ['openid', 'profile']), { name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' });
  assert.deepEqual(profileClaims(user({ firstName: 'Ada' }), ['profile']), { name: 'Ada', given_name: 'Ada' });
  assert.deepEqual(profileClaims(user({}), ['profile']), {});
  assert.deepEqual(profileClaims(user({ firstName: 'Ada' }), ['openid']), {});
  assert.deepEqual(profileClaims(user({}), ['email']), { email: 'a@b.test', email_verified: true });
});
