import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { RelaySocket, reasonPrefix } from './client.js';

/** Each test stops by itself even if the relay stops answering. */
const TEST_TIMEOUT_MS = 10_000;

let server: WebSocketServer;
let url = '';
/** Frames the fake relay sends once a connection sends its first frame. */
let script: string[] = [];

before(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('connection', (ws) => {
    ws.once('message', () => {
      for (const frame of script) ws.send(frame);
    });
  });
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function receive(
  handlers: (done: () => void, socket: RelaySocket) => RelaySocket['handlers'],
): Promise<RelaySocket> {
  return RelaySocket.connect(url).then(
    (socket) =>
      new Promise((resolve) => {
        socket.handlers = handlers(() => resolve(socket), socket);
        socket.req('go', []);
      }),
  );
}

const id = 'ab'.repeat(32);
const other = 'cd'.repeat(32);

test('eventId cuts the event id out of the frame, even when the content mentions "id"', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const content = JSON.stringify({ id: other, note: '"id":"' });
  const event = { content, id, pubkey: other, kind: 1, created_at: 1, tags: [['e', other]], sig: '00' };
  script = [`["EVENT","s1",${JSON.stringify(event)}]`, '["EOSE","s1"]'];
  const seen: string[] = [];
  const socket = await receive((done) => ({
    eventId: (sub, got) => seen.push(`${sub} ${got}`),
    eose: () => done(),
  }));
  assert.deepEqual(seen, [`s1 ${id}`]);
  await socket.close();
});

test('frames the fast path cannot cut are parsed normally', { timeout: TEST_TIMEOUT_MS }, async () => {
  const event = { id, pubkey: other, kind: 1, created_at: 1, tags: [], content: '', sig: '00' };
  script = [
    `["EVENT","s\\\\x",${JSON.stringify(event)}]`,
    `["EVENT", "s2", ${JSON.stringify(event, null, 1)}]`,
    '["EOSE","s2"]',
  ];
  const seen: string[] = [];
  const socket = await receive((done) => ({
    eventId: (sub, got) => seen.push(`fast ${sub} ${got}`),
    event: (sub, e) => seen.push(`parsed ${sub} ${e.id}`),
    eose: () => done(),
  }));
  assert.deepEqual(seen, [`parsed s\\x ${id}`, `parsed s2 ${id}`]);
  await socket.close();
});

test('OK, CLOSED and NOTICE reach their handlers; junk is counted', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  script = [
    '["OK","x",true,"duplicate: have it"]',
    'not json',
    '["NOTICE","hi"]',
    '["CLOSED","q","error: nope"]',
  ];
  const seen: string[] = [];
  const socket = await receive((done) => ({
    ok: (got, ok, reason) => seen.push(`ok ${got} ${ok} ${reasonPrefix(reason)}`),
    notice: (m) => seen.push(`notice ${m}`),
    closed: (sub, reason) => {
      seen.push(`closed ${sub} ${reasonPrefix(reason)}`);
      done();
    },
  }));
  assert.deepEqual(seen, ['ok x true duplicate', 'notice hi', 'closed q error']);
  assert.equal(socket.malformed, 1);
  await socket.close();
});
