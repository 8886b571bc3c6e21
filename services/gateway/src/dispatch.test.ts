import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@nrelay/config';
import { signedRaw } from '@nrelay/testkit';
import { pino } from 'pino';
import type { WebSocket } from 'ws';
import { Connection } from './connection.js';
import { createGatewayContext } from './context.js';
import { createDispatcher } from './dispatch.js';
import { FakeIngest, FakeQuery } from './fixtures.js';

/** A dispatcher over a fake socket that records the frames sent to it. */
function setup() {
  const config = loadConfig({}, { MAX_MESSAGE_BYTES: 1024, MAX_FRAME_BYTES: 4096, MAX_FILTERS: 2 });
  const query = new FakeQuery();
  query.autoEnd = true;
  const ctx = createGatewayContext(config, { ingest: new FakeIngest(), query, gatewayId: 'g' });
  const sent: unknown[][] = [];
  const ws = {
    readyState: 1,
    bufferedAmount: 0,
    send: (data: unknown) => sent.push(JSON.parse(String(data))),
  };
  const conn = new Connection(
    ws as unknown as WebSocket,
    '127.0.0.1',
    pino({ level: 'silent' }),
    ctx.counters,
  );
  const dispatch = createDispatcher(ctx);
  const send = (frame: string | unknown[], binary = false) =>
    dispatch(conn, Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)), binary);
  return { ctx, conn, sent, send };
}

test('frames that cannot be tied to an id get NOTICE with an invalid: reason', () => {
  const { sent, send, ctx } = setup();
  for (const frame of ['{not json', '{}', '[]', '["HELLO"]', '[42]']) send(frame);
  assert.equal(sent.length, 5);
  for (const m of sent) {
    assert.equal(m[0], 'NOTICE');
    assert.match(m[1] as string, /^invalid: /);
  }
  assert.equal(ctx.counters.messagesIn.invalid, 5);
});

test('REQ and COUNT errors with a usable subscription id get CLOSED', () => {
  const { sent, send } = setup();
  send(['REQ', 'a', { kinds: 'x' }]);
  send(['REQ', 'b', {}, {}, {}]);
  send(['COUNT', 'c', { unknown: 1 }]);
  send(['REQ', 'd']);
  assert.deepEqual(
    sent.map((m) => [m[0], m[1]]),
    [
      ['CLOSED', 'a'],
      ['CLOSED', 'b'],
      ['CLOSED', 'c'],
      ['CLOSED', 'd'],
    ],
  );
  for (const m of sent) assert.match(m[2] as string, /^invalid: /);
});

test('a malformed REQ ends an open subscription with the same id', async () => {
  const { sent, send, conn, ctx } = setup();
  send(['REQ', 'a', {}]);
  assert.equal(conn.subscriptions.size, 1);
  send(['REQ', 'a', { kinds: 'x' }]);
  assert.equal(conn.subscriptions.size, 0);
  assert.equal(ctx.index.size, 0);
  assert.equal(sent.at(-1)?.[0], 'CLOSED');
});

test('EVENT errors with a readable id get OK false; binary frames get NOTICE', () => {
  const { sent, send } = setup();
  const { event } = signedRaw({});
  send(['EVENT', { ...event, created_at: 'yesterday' }]);
  send(['EVENT', { ...event, sig: 'zz' }]);
  send('binary', true);
  assert.deepEqual(sent[0]?.slice(0, 3), ['OK', event.id, false]);
  assert.deepEqual(sent[1]?.slice(0, 3), ['OK', event.id, false]);
  assert.match(sent[0]?.[3] as string, /^invalid: /);
  assert.equal(sent[2]?.[0], 'NOTICE');
});

test('frames above MAX_MESSAGE_BYTES: OK false for an EVENT with an id, else NOTICE', () => {
  const { sent, send, ctx } = setup();
  const big = signedRaw({ content: 'y'.repeat(2000) });
  send(`["EVENT",${big.raw}]`);
  send(['REQ', 'x', { '#t': ['z'.repeat(2000)] }]);
  send(`["NOTEVENT",${big.raw}]`);
  const reason = 'invalid: message too large (max 1024 bytes)';
  assert.deepEqual(sent, [
    ['OK', big.event.id, false, reason],
    ['NOTICE', reason],
    ['NOTICE', reason],
  ]);
  assert.equal(ctx.counters.messagesIn['too-large'], 3);
});
