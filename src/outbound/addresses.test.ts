// Issue #10: the outbound address policy (RFC 6890 special-use blocks), including the forms an attacker
// would use to sneak past a naive check.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isSpecialUse } from './addresses.ts';

it('issue #10: loopback, private, link-local, metadata and other special-use addresses are refused; public ones pass', () => {
  for (const bad of [
    '127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '198.18.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::a00:1', '2002:7f00:1::', '[::1]', 'fe80::1%eth0', 'not-an-ip',
  ]) {
    assert.equal(isSpecialUse(bad), true, bad);
  }
  for (const good of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    assert.equal(isSpecialUse(good), false, good);
  }
});
