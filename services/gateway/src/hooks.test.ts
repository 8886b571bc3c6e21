import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawClient, signedRaw } from '@nrelay/testkit';
import { WebSocket } from 'ws';
import { sleep, startRelay } from './fixtures.js';
import type { ConnectionInfo } from './hooks.js';
import { prefixedReason } from './hooks.js';

test('hooks: rejectConnection, onConnect/onDisconnect, overwriteFilter, rejectFilter, rejectEvent', async () => {
  const connected: ConnectionInfo[] = [];
  const disconnected: string[] = [];
  const relay = await startRelay(
    {},
    {
      hooks: {
        rejectConnection: [
          (req) => (req.headers['user-agent'] === 'bad-bot' ? 'blocked: no bots' : undefined),
        ],
        onConnect: [(conn) => connected.push(conn)],
        onDisconnect: [(conn) => disconnected.push(conn.id)],
        overwriteFilter: [
          (filter) => {
            filter.kinds = [1];
          },
        ],
        rejectFilter: [
          (filter) => (filter.authors?.includes('f'.repeat(64)) ? 'restricted: not you' : undefined),
        ],
        rejectEvent: [(event) => (event.content === 'spam' ? 'no spam' : undefined)],
      },
    },
  );
  try {
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/`, { headers: { 'User-Agent': 'bad-bot' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 403);
    assert.equal(relay.gateway.stats().connectionsRejected, 1);

    const client = await relay.connect();
    assert.equal(connected.length, 1);
    relay.query.autoEnd = true;
    client.sendJson(['REQ', 'q', { kinds: [7] }]);
    await client.next((m) => m[0] === 'EOSE');
    assert.deepEqual(relay.query.calls[0]?.request.filters[0]?.kinds, [1]);
    client.sendJson(['REQ', 'r', { authors: ['f'.repeat(64)] }]);
    assert.deepEqual(await client.next((m) => m[0] === 'CLOSED'), ['CLOSED', 'r', 'restricted: not you']);
    const spam = signedRaw({ content: 'spam' });
    client.send(`["EVENT",${spam.raw}]`);
    assert.deepEqual(await client.next((m) => m[0] === 'OK'), [
      'OK',
      spam.event.id,
      false,
      'blocked: no spam',
    ]);
    assert.equal(relay.ingest.requests.length, 0);
    client.ws.close();
    await client.waitClose();
    for (let i = 0; i < 50 && disconnected.length === 0; i++) await sleep(10);
    assert.deepEqual(disconnected, [connected[0]?.id]);
    const other = await RawClient.open(relay.url);
    other.ws.terminate();
  } finally {
    await relay.close();
  }
});

test('prefixedReason keeps NIP-01 prefixes and marks the rest blocked:', () => {
  assert.equal(prefixedReason('rate-limited: slow down'), 'rate-limited: slow down');
  assert.equal(prefixedReason('go away'), 'blocked: go away');
});
