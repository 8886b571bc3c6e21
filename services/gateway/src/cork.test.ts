import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { corkUntilNextTick } from './cork.js';

test('frames sent in one tick are held, then leave together in order', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  try {
    const server = await accepted;
    const socket = (server as unknown as { _socket: Socket })._socket;
    corkUntilNextTick(server);
    corkUntilNextTick(server); // a second call in the same tick does not cork twice
    for (const n of [1, 2, 3]) server.send(`frame ${n}`);
    assert.equal(socket.writableCorked, 1);
    assert.ok(socket.writableLength > 0, 'the frames wait in the socket');
    await new Promise((resolve) => process.nextTick(resolve));
    assert.equal(socket.writableCorked, 0);
    while (received.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(received, ['frame 1', 'frame 2', 'frame 3']);
  } finally {
    client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});
