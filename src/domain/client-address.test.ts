// Issue #7: per-address limits count IPv6 clients by /64, IPv4 by address.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { addressKey } from './client-address.ts';

it('issue #7: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('2001:db8:0:1::5'), addressKey('2001:db8:0:1:ffff::9'));
  assert.notEqual(addressKey('2001:db8:0:1::5'), addressKey('2001:db8:0:2::5'));
});
