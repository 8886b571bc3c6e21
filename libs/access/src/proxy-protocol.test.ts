import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProxyHeader, proxyV1Header, proxyV2Header } from './proxy-protocol.js';

const http = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');

describe('parseProxyHeader', () => {
  it('v1 TCP4 and TCP6, with the bytes that follow left alone', () => {
    const v4 = proxyV1Header('203.0.113.7', 5555, '10.0.0.1', 443);
    assert.equal(v4.toString(), 'PROXY TCP4 203.0.113.7 10.0.0.1 5555 443\r\n');
    assert.deepEqual(parseProxyHeader(Buffer.concat([v4, http])), {
      state: 'complete',
      length: v4.length,
      source: '203.0.113.7',
    });
    const v6 = proxyV1Header('2001:DB8::7', 1, '2001:db8::1', 2);
    assert.deepEqual(parseProxyHeader(v6), { state: 'complete', length: v6.length, source: '2001:db8::7' });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), {
      state: 'complete',
      length: 15,
      source: undefined,
    });
  });

  it('v1: incomplete until CRLF, invalid when malformed or too long', () => {
    assert.equal(parseProxyHeader(Buffer.from('PRO')).state, 'incomplete');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 ')).state, 'incomplete');
    for (const bad of [
      'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n',
      'PROXY TCP4 ::1 ::1 1 2\r\n',
      'PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n',
      'PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n',
      'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n',
      'PROXY TCP4 nope 5.6.7.8 1 2\r\n',
    ]) {
      assert.equal(parseProxyHeader(Buffer.from(bad)).state, 'invalid', bad);
    }
    assert.equal(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(120)}`)).state, 'invalid');
  });

  it('v2 PROXY (IPv4, IPv6, IPv4-mapped) and LOCAL', () => {
    const v4 = proxyV2Header('198.51.100.9', 1234, '10.0.0.1', 443);
    assert.equal(v4.length, 16 + 12);
    assert.deepEqual(parseProxyHeader(Buffer.concat([v4, http])), {
      state: 'complete',
      length: 28,
      source: '198.51.100.9',
    });
    const v6 = proxyV2Header('2001:db8::9', 1, '2001:db8::1', 2);
    assert.deepEqual(parseProxyHeader(v6), { state: 'complete', length: 52, source: '2001:db8::9' });
    const mapped = proxyV2Header('::ffff:198.51.100.10', 1, '::1', 2);
    assert.equal(parseProxyHeader(mapped).state, 'complete');
    assert.equal((parseProxyHeader(mapped) as { source?: string }).source, '198.51.100.10');
    const local = proxyV2Header(undefined);
    assert.deepEqual(parseProxyHeader(local), { state: 'complete', length: 16, source: undefined });
  });

  it('v2: TLVs after the addresses are skipped; truncated and bad versions detected', () => {
    const base = proxyV2Header('198.51.100.9', 1, '10.0.0.1', 2);
    const tlv = Buffer.from([0x04, 0x00, 0x02, 0xaa, 0xbb]);
    const withTlv = Buffer.concat([base, tlv]);
    withTlv.writeUInt16BE(12 + tlv.length, 14);
    assert.deepEqual(parseProxyHeader(withTlv), { state: 'complete', length: 33, source: '198.51.100.9' });
    assert.equal(parseProxyHeader(base.subarray(0, 20)).state, 'incomplete');
    assert.equal(parseProxyHeader(base.subarray(0, 5)).state, 'incomplete');
    const v1Bits = Buffer.from(base);
    v1Bits[12] = 0x11;
    assert.equal(parseProxyHeader(v1Bits).state, 'invalid');
    const badCommand = Buffer.from(base);
    badCommand[12] = 0x2f;
    assert.equal(parseProxyHeader(badCommand).state, 'invalid');
    const short = Buffer.from(base.subarray(0, 16 + 4));
    short.writeUInt16BE(4, 14);
    assert.equal(parseProxyHeader(short).state, 'invalid');
  });

  it('anything else is absent: the bytes belong to HTTP', () => {
    assert.equal(parseProxyHeader(http).state, 'absent');
    assert.equal(parseProxyHeader(Buffer.from('POST / HTTP/1.1\r\n')).state, 'absent');
    assert.equal(parseProxyHeader(Buffer.from('PROXZ')).state, 'absent');
    assert.equal(parseProxyHeader(Buffer.from('P')).state, 'incomplete');
    assert.equal(parseProxyHeader(Buffer.alloc(0)).state, 'incomplete');
  });
});
