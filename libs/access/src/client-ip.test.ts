import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { parseCidrList } from './cidr.js';
import { createClientIpResolver, createProxyProtocolServer } from './client-ip.js';
import { proxyV1Header, proxyV2Header } from './proxy-protocol.js';

function fakeRequest(peer: string, forwarded?: string | string[]): IncomingMessage {
  const headers = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('createClientIpResolver (X-Forwarded-For)', () => {
  const resolve = createClientIpResolver(parseCidrList(['127.0.0.1/32', '10.0.0.0/8', '::1/128']));

  it('an untrusted peer is the client, whatever it claims', () => {
    assert.equal(resolve(fakeRequest('203.0.113.5', '1.1.1.1')), '203.0.113.5');
    assert.equal(resolve(fakeRequest('::ffff:203.0.113.5', '1.1.1.1')), '203.0.113.5');
  });

  it('a trusted peer without a header is the client', () => {
    assert.equal(resolve(fakeRequest('127.0.0.1')), '127.0.0.1');
    assert.equal(resolve(fakeRequest('::ffff:127.0.0.1')), '127.0.0.1');
  });

  it('behind trusted proxies, the right-most untrusted hop (spoofed left hops ignored)', () => {
    assert.equal(resolve(fakeRequest('127.0.0.1', '198.51.100.1')), '198.51.100.1');
    // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the real address.
    assert.equal(resolve(fakeRequest('127.0.0.1', '6.6.6.6, 198.51.100.1')), '198.51.100.1');
    // Two trusted proxies in a row.
    assert.equal(resolve(fakeRequest('127.0.0.1', '6.6.6.6, 198.51.100.1, 10.1.1.1')), '198.51.100.1');
    // Repeated headers are joined in order.
    assert.equal(resolve(fakeRequest('127.0.0.1', ['6.6.6.6', '198.51.100.1, 10.1.1.1'])), '198.51.100.1');
  });

  it('hop forms: ports, brackets, quotes, IPv6, IPv4-mapped', () => {
    assert.equal(resolve(fakeRequest('127.0.0.1', '198.51.100.1:4444')), '198.51.100.1');
    assert.equal(resolve(fakeRequest('127.0.0.1', '[2001:db8::1]:4444')), '2001:db8::1');
    assert.equal(resolve(fakeRequest('127.0.0.1', '"[2001:db8::1]"')), '2001:db8::1');
    assert.equal(resolve(fakeRequest('::1', '2001:DB8::1')), '2001:db8::1');
    assert.equal(resolve(fakeRequest('127.0.0.1', '::ffff:198.51.100.1')), '198.51.100.1');
  });

  it('all hops trusted: the left-most; an unparseable hop stops at the trusted hop to its right', () => {
    assert.equal(resolve(fakeRequest('127.0.0.1', '10.0.0.5, 10.0.0.6')), '10.0.0.5');
    assert.equal(resolve(fakeRequest('127.0.0.1', 'unknown, 10.0.0.6')), '10.0.0.6');
    assert.equal(resolve(fakeRequest('127.0.0.1', 'garbage')), '127.0.0.1');
    assert.equal(resolve(fakeRequest('127.0.0.1', '')), '127.0.0.1');
  });

  it('no trusted proxies: always the peer', () => {
    const none = createClientIpResolver(parseCidrList([]));
    assert.equal(none(fakeRequest('127.0.0.1', '198.51.100.1')), '127.0.0.1');
  });
});

/** An HTTP server that answers each request with the resolved client IP, behind the PROXY listener. */
async function proxyFront(trusted: string[], headerTimeoutMs = 2000) {
  const resolve = createClientIpResolver(parseCidrList(trusted));
  const http = createServer((req, res) => res.end(resolve(req)));
  const rejected: string[] = [];
  const front: Server = createProxyProtocolServer(http, {
    trusted: parseCidrList(trusted),
    headerTimeoutMs,
    onReject: (_peer, reason) => rejected.push(reason),
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  const address = front.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { front, http, port, rejected, close: () => new Promise<void>((r) => front.close(() => r())) };
}

/** Sends `chunks` (with a short pause between them) on a fresh socket; resolves with everything read. */
function exchange(port: number, chunks: Array<Buffer | string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}

const get = (path: string, close = true) =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

describe('ProxyProtocolServer over 127.0.0.1', () => {
  const fronts: Array<{ close(): Promise<void> }> = [];
  after(async () => {
    for (const f of fronts) await f.close();
  });

  it('v1 header from a trusted peer gives the client IP, pipelined requests intact', async () => {
    const f = await proxyFront(['127.0.0.1/32']);
    fronts.push(f);
    const header = proxyV1Header('203.0.113.44', 5000, '127.0.0.1', f.port);
    const out = await exchange(f.port, [
      Buffer.concat([header, Buffer.from(get('/a', false) + get('/b', false))]),
      get('/c'),
    ]);
    assert.match(out, /^HTTP\/1\.1 200/);
    assert.equal((out.match(/203\.0\.113\.44/g) ?? []).length, 3, out);
  });

  it('v2 header (IPv4 and IPv6), split across writes', async () => {
    const f = await proxyFront(['127.0.0.1/32']);
    fronts.push(f);
    const v2 = proxyV2Header('198.51.100.23', 1, '127.0.0.1', f.port);
    const out = await exchange(f.port, [v2.subarray(0, 7), v2.subarray(7, 20), v2.subarray(20), get('/')]);
    assert.match(out, /198\.51\.100\.23$/);
    const v6 = proxyV2Header('2001:db8::23', 1, '::1', f.port);
    assert.match(await exchange(f.port, [Buffer.concat([v6, Buffer.from(get('/'))])]), /2001:db8::23$/);
  });

  it('v2 LOCAL (health check) and no header at all: the peer itself', async () => {
    const f = await proxyFront(['127.0.0.1/32']);
    fronts.push(f);
    assert.match(
      await exchange(f.port, [Buffer.concat([proxyV2Header(undefined), Buffer.from(get('/'))])]),
      /127\.0\.0\.1$/,
    );
    assert.match(await exchange(f.port, [get('/')]), /127\.0\.0\.1$/);
  });

  it('a trusted proxy chain: PROXY source trusted too, then X-Forwarded-For', async () => {
    const f = await proxyFront(['127.0.0.1/32', '10.0.0.0/8']);
    fronts.push(f);
    const header = proxyV1Header('10.2.3.4', 1, '127.0.0.1', f.port);
    const request =
      'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6, 192.0.2.77\r\nConnection: close\r\n\r\n';
    assert.match(await exchange(f.port, [Buffer.concat([header, Buffer.from(request)])]), /192\.0\.2\.77$/);
  });

  it('an untrusted peer: a header is not parsed (HTTP 400), the peer is the client', async () => {
    const f = await proxyFront(['10.0.0.0/8']);
    fronts.push(f);
    const header = proxyV1Header('203.0.113.44', 5000, '127.0.0.1', f.port);
    const out = await exchange(f.port, [Buffer.concat([header, Buffer.from(get('/'))])]);
    assert.match(out, /^HTTP\/1\.1 400/);
    assert.doesNotMatch(out, /203\.0\.113\.44/);
    assert.match(await exchange(f.port, [get('/')]), /127\.0\.0\.1$/);
  });

  it('a malformed header or silence drops the connection', async () => {
    const f = await proxyFront(['127.0.0.1/32'], 200);
    fronts.push(f);
    assert.equal(await exchange(f.port, ['PROXY TCP4 1.2.3.4 nope 1 2\r\n', get('/')]), '');
    assert.equal(await exchange(f.port, []), '');
    assert.deepEqual(f.rejected, ['malformed PROXY v1 addresses', 'no PROXY header in time']);
  });

  it('the HTTP server tracks handed-over connections: closeAllConnections reaches them', async () => {
    const f = await proxyFront(['127.0.0.1/32']);
    const header = proxyV1Header('203.0.113.45', 5000, '127.0.0.1', f.port);
    const socket = connect(f.port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
    });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write(Buffer.concat([header, Buffer.from(get('/', false))]));
    while (!out.includes('203.0.113.45')) await new Promise((r) => setTimeout(r, 10));
    const stopped = f.close();
    f.http.closeAllConnections();
    await closed;
    await stopped;
  });

  it('close() drops connections still waiting for a header', async () => {
    const f = await proxyFront(['127.0.0.1/32'], 10_000);
    const waiting = exchange(f.port, ['PROX']);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await f.close();
    assert.equal(await waiting, '');
    assert.ok(Date.now() - started < 2000);
  });
});
