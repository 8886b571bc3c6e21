import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { RawClient } from './client.js';
import { signedRaw } from './events.js';

/** A tiny relay: answers EVENT with OK, REQ with one stored event then EOSE, and records headers. */
let server: WebSocketServer;
let url: string;
const headersSeen: string[] = [];
const stored = signedRaw({ content: 'stored' });

function answer(socket: WebSocket, frame: string): void {
  const msg = JSON.parse(frame) as unknown[];
  if (msg[0] === 'EVENT') socket.send(JSON.stringify(['OK', (msg[1] as { id: string }).id, true, '']));
  if (msg[0] === 'REQ') {
    socket.send(`["EVENT",${JSON.stringify(msg[1])},${stored.raw}]`);
    socket.send(JSON.stringify(['EOSE', msg[1]]));
  }
  if (msg[0] === 'BYE') socket.close(4000, 'bye');
}

before(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  server.on('connection', (socket, request) => {
    headersSeen.push(String(request.headers['x-test']));
    socket.send('["NOTICE","hello"]');
    socket.send('not json');
    socket.on('message', (data) => answer(socket, String(data)));
  });
});

after(async () => {
  for (const socket of server.clients) socket.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('RawClient', () => {
  it('records every frame verbatim, and the JSON ones as messages', async () => {
    const client = await RawClient.open(url, { headers: { 'x-test': 'yes' } });
    assert.deepEqual(await client.next((m) => m[0] === 'NOTICE'), ['NOTICE', 'hello']);
    const reply = await client.publish(signedRaw({ content: 'x' }).event);
    assert.equal(reply.ok, true);
    assert.ok(client.frames.some((f) => f.raw === 'not json' && f.msg === undefined));
    assert.deepEqual(
      client.messages.map((m) => m[0]),
      ['NOTICE', 'OK'],
    );
    assert.deepEqual(client.all('OK').length, 1);
    assert.equal(headersSeen.at(-1), 'yes');
    client.close();
  });

  it('keeps the verbatim text of stored events, and waits from a mark', async () => {
    const client = await RawClient.open(url, 2000);
    const from = client.mark();
    const result = await client.query([{ kinds: [1] }], { subId: 's' });
    assert.equal(result.end, 'EOSE');
    assert.deepEqual(result.texts, [stored.raw]);
    assert.equal(client.eventsOn('s', from).length, 1);
    assert.deepEqual(await client.next((m) => m[0] === 'EOSE', from), ['EOSE', 's']);
    client.close();
  });

  it('reports the close, fails a wait with what it saw, and an unawaited send fails nothing', async () => {
    const client = await RawClient.open(url);
    await client.sendJson(['BYE']);
    assert.deepEqual(await client.waitClose(), { code: 4000, reason: 'bye' });
    await assert.rejects(
      client.next((m) => m[0] === 'NEVER'),
      /connection closed \(4000 "bye"\).*NOTICE/,
    );
    void client.sendJson(['EVENT', {}]);
    await assert.rejects(client.send('[]'));
  });
});
