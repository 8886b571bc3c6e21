import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type AccessState, EMPTY_ACCESS_STATE, proxyV1Header, proxyV2Header } from '@nrelay/access';
import { WebSocket } from 'ws';
import { accessRelay, withRelay } from './hooks-fixtures.js';

// The access hooks' view of the client's address: IP_DENY/IP_ALLOW and NIP-86 blocked IPs at
// the upgrade, X-Forwarded-For behind trusted proxies, the PROXY protocol.

/** Opens a WebSocket with `options`; resolves with 101 or the refusal's status. */
function upgradeStatus(
  port: number,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, options);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', () => resolve(0));
  });
}

/** A WebSocket whose TCP connection starts with `header` (a PROXY protocol header). */
function viaProxy(port: number, header: Buffer): Promise<number> {
  return upgradeStatus(port, {
    createConnection: () => {
      const socket = connect(port, '127.0.0.1');
      socket.write(header);
      return socket;
    },
  });
}

describe('access hooks: client IP and IP lists', () => {
  it('IP_DENY and IP_ALLOW refuse the upgrade with 403', async () => {
    const denied = await accessRelay({ IP_DENY: ['127.0.0.1/32'] });
    await withRelay(denied, async () => {
      assert.equal(await upgradeStatus(denied.port), 403);
      assert.equal(denied.connections.length, 0);
    });
    const notAllowed = await accessRelay({ IP_ALLOW: ['10.0.0.0/8'] });
    await withRelay(notAllowed, async () => assert.equal(await upgradeStatus(notAllowed.port), 403));
    const allowed = await accessRelay({ IP_ALLOW: ['127.0.0.0/8'], IP_DENY: ['10.0.0.0/8'] });
    await withRelay(allowed, async () => assert.equal(await upgradeStatus(allowed.port), 101));
  });

  it('state.isIpBlocked (NIP-86 blockip) refuses too', async () => {
    const state: AccessState = { ...EMPTY_ACCESS_STATE, isIpBlocked: (ip) => ip === '203.0.113.8' };
    const relay = await accessRelay({}, state);
    await withRelay(relay, async () => {
      const headers = { 'X-Forwarded-For': '203.0.113.8' };
      assert.equal(await upgradeStatus(relay.port, { headers }), 403);
      assert.equal(await upgradeStatus(relay.port, { headers: { 'X-Forwarded-For': '203.0.113.9' } }), 101);
    });
  });

  it('ConnectionInfo.ip: the right-most untrusted X-Forwarded-For hop behind a trusted peer', async () => {
    const relay = await accessRelay({ IP_DENY: ['198.51.100.0/24'] });
    await withRelay(relay, async () => {
      const headers = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.5' };
      assert.equal(await upgradeStatus(relay.port, { headers }), 101, 'a spoofed left hop is ignored');
      assert.equal(await upgradeStatus(relay.port, { headers: { 'X-Forwarded-For': '198.51.100.1' } }), 403);
      assert.equal(relay.connections[0]?.ip, '203.0.113.5');
    });
    const untrusting = await accessRelay({ TRUSTED_PROXIES: [], IP_DENY: ['198.51.100.0/24'] });
    await withRelay(untrusting, async () => {
      const headers = { 'X-Forwarded-For': '198.51.100.1' };
      assert.equal(
        await upgradeStatus(untrusting.port, { headers }),
        101,
        'no trusted proxy: header ignored',
      );
      assert.equal(untrusting.connections[0]?.ip, '127.0.0.1');
    });
  });

  it('PROXY_PROTOCOL: v1 and v2 headers give the client IP (and IP_DENY applies to it)', async () => {
    const relay = await accessRelay({ PROXY_PROTOCOL: true, IP_DENY: ['198.51.100.66/32'] });
    await withRelay(relay, async () => {
      assert.equal(
        await viaProxy(relay.port, proxyV1Header('203.0.113.61', 1, '127.0.0.1', relay.port)),
        101,
      );
      assert.equal(await viaProxy(relay.port, proxyV2Header('2001:db8::62', 1, '::1', relay.port)), 101);
      assert.equal(
        await viaProxy(relay.port, proxyV2Header('198.51.100.66', 1, '127.0.0.1', relay.port)),
        403,
      );
      assert.equal(await upgradeStatus(relay.port), 101, 'a trusted peer may skip the header');
      assert.deepEqual(
        relay.connections.map((c) => c.ip),
        ['203.0.113.61', '2001:db8::62', '127.0.0.1'],
      );
      const info = await fetch(`http://127.0.0.1:${relay.port}/`, {
        headers: { Accept: 'application/nostr+json' },
      });
      assert.equal(info.status, 200, 'HTTP (NIP-11) still served through the PROXY listener');
    });
  });

  it('PROXY_PROTOCOL: headers from an untrusted peer are not parsed', async () => {
    const relay = await accessRelay({ PROXY_PROTOCOL: true, TRUSTED_PROXIES: ['10.0.0.0/8'] });
    await withRelay(relay, async () => {
      assert.notEqual(
        await viaProxy(relay.port, proxyV1Header('203.0.113.61', 1, '127.0.0.1', relay.port)),
        101,
      );
      assert.equal(relay.connections.length, 0);
    });
  });
});
