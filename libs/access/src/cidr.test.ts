import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@nrelay/config';
import fc from 'fast-check';
import { formatIpv6, ipInList, normaliseIp, parseCidrList, parseIp } from './cidr.js';

describe('parseIp / normaliseIp', () => {
  it('parses IPv4, IPv6 and IPv4-mapped IPv6 (as IPv4)', () => {
    assert.deepEqual(parseIp('1.2.3.4'), { v: 4, n: 0x01020304 });
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), { v: 4, n: 0x01020304 });
    assert.deepEqual(parseIp('::ffff:102:304'), { v: 4, n: 0x01020304 });
    assert.deepEqual(parseIp('::1'), { v: 6, n: 1n });
    assert.deepEqual(parseIp('2001:db8::'), { v: 6, n: 0x20010db8n << 96n });
    assert.deepEqual(parseIp('fe80::1%eth0'), { v: 6, n: (0xfe80n << 112n) | 1n });
    assert.deepEqual(parseIp('1:2:3:4:5:6:7:8'), { v: 6, n: 0x00010002000300040005000600070008n });
    assert.deepEqual(parseIp('::'), { v: 6, n: 0n });
    assert.deepEqual(parseIp('64:ff9b::1.2.3.4'), { v: 6, n: (0x64ff9bn << 96n) | 0x01020304n });
  });

  it('rejects text that is not an address', () => {
    for (const bad of [
      '',
      'unknown',
      '1.2.3',
      '256.1.1.1',
      '1.2.3.4.5',
      ':::',
      '1::2::3',
      'g::1',
      '01.2.3.4',
    ]) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it('normalises to dotted IPv4 and RFC 5952 IPv6', () => {
    assert.equal(normaliseIp('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normaliseIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normaliseIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(normaliseIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(normaliseIp('not an ip'), 'not an ip');
    assert.equal(formatIpv6(0n), '::');
    assert.equal(formatIpv6(1n), '::1');
    assert.equal(formatIpv6(0x00010000000000000000000000000000n), '1::');
    assert.equal(formatIpv6(0x00010002000300040005000600070008n), '1:2:3:4:5:6:7:8');
    // A single zero group is not compressed (RFC 5952 4.2.2).
    assert.equal(formatIpv6(0x00010000000300040005000600070008n), '1:0:3:4:5:6:7:8');
  });
});

describe('parseCidrList / ipInList', () => {
  it('matches IPv4 CIDRs with exact boundaries', () => {
    const list = parseCidrList(['10.0.0.0/8', '192.168.1.7', '172.16.0.0/12']);
    assert.ok(ipInList('10.0.0.0', list));
    assert.ok(ipInList('10.255.255.255', list));
    assert.ok(!ipInList('11.0.0.0', list));
    assert.ok(!ipInList('9.255.255.255', list));
    assert.ok(ipInList('192.168.1.7', list));
    assert.ok(!ipInList('192.168.1.8', list));
    assert.ok(ipInList('172.31.255.255', list));
    assert.ok(!ipInList('172.32.0.0', list));
    assert.ok(ipInList('::ffff:10.1.2.3', list), 'IPv4-mapped lookups are IPv4');
    assert.ok(!ipInList('::1', list));
    assert.ok(!ipInList('garbage', list));
  });

  it('/0, /32 and /128', () => {
    const all4 = parseCidrList(['0.0.0.0/0']);
    assert.ok(ipInList('0.0.0.0', all4));
    assert.ok(ipInList('255.255.255.255', all4));
    assert.ok(!ipInList('::1', all4), 'IPv4 /0 does not cover IPv6');
    const all6 = parseCidrList(['::/0']);
    assert.ok(ipInList('::', all6));
    assert.ok(ipInList('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', all6));
    assert.ok(ipInList('8.8.8.8', all6), '::/0 covers the IPv4-mapped space, hence IPv4');
    const one4 = parseCidrList(['127.0.0.1/32']);
    assert.ok(ipInList('127.0.0.1', one4));
    assert.ok(!ipInList('127.0.0.2', one4));
    const one6 = parseCidrList(['::1/128']);
    assert.ok(ipInList('::1', one6));
    assert.ok(ipInList('0:0:0:0:0:0:0:1', one6));
    assert.ok(!ipInList('::2', one6));
  });

  it('IPv6 prefixes and IPv4-mapped entries', () => {
    const list = parseCidrList(['2001:db8::/32', '::ffff:10.0.0.0/104']);
    assert.ok(ipInList('2001:db8:ffff::1', list));
    assert.ok(!ipInList('2001:db9::', list));
    assert.ok(ipInList('10.9.8.7', list), '::ffff:10.0.0.0/104 is 10.0.0.0/8');
    assert.ok(!ipInList('11.0.0.0', list));
  });

  it('ignores host bits below the prefix and merges overlapping ranges', () => {
    const list = parseCidrList(['10.1.2.3/8', '10.0.0.0/9', '11.0.0.0/8']);
    assert.deepEqual(list.v4, [{ start: 0x0a000000, end: 0x0bffffff }]);
    assert.deepEqual(list.entries, ['10.1.2.3/8', '10.0.0.0/9', '11.0.0.0/8']);
  });

  it('an empty list matches nothing', () => {
    assert.ok(!ipInList('1.2.3.4', parseCidrList([])));
    assert.ok(!ipInList('1.2.3.4', parseCidrList(['', ' '])));
  });

  it('reports every invalid entry at once as a ConfigError naming the setting', () => {
    const bad = ['abc', '1.2.3.4/33', '::1/129', '1.2.3', '1.2.3.4/-1', '1.2.3.4/', '10.0.0.0/8'];
    assert.throws(
      () => parseCidrList(bad, 'IP_DENY'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 6);
        for (const p of err.problems) assert.match(p, /^IP_DENY: "/);
        assert.match(err.message, /1\.2\.3\.4\/33.*invalid prefix length \(0-32\)/);
        return true;
      },
    );
  });

  it('agrees with a naive bit comparison on random IPv4 lists', () => {
    const cidr = fc.tuple(fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }));
    const naive = (ip: number, [base, len]: [number, number]) =>
      len === 0 || ip >>> (32 - len) === base >>> (32 - len);
    const text = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    fc.assert(
      fc.property(
        fc.array(cidr, { maxLength: 8 }),
        fc.array(fc.nat(0xffffffff), { maxLength: 20 }),
        (cidrs, ips) => {
          const list = parseCidrList(cidrs.map(([b, l]) => `${text(b)}/${l}`));
          for (const ip of ips) {
            assert.equal(
              ipInList(text(ip), list),
              cidrs.some((c) => naive(ip, c)),
            );
            // Addresses right at the edges of each range.
            for (const [b, l] of cidrs) {
              const size = 2 ** (32 - l);
              const start = Math.floor(b / size) * size;
              assert.ok(ipInList(text(start), list));
              assert.ok(ipInList(text(start + size - 1), list));
            }
          }
        },
      ),
    );
  });
});
