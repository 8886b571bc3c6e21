import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedRaw } from '@nrelay/testkit';
import { sleep, startRelay } from './fixtures.js';

test('a live subscriber that stops reading is closed as a slow consumer (1008)', async () => {
  const relay = await startRelay({ SEND_MAX_BUFFERED_BYTES: 65536 });
  try {
    const slow = await relay.connect();
    const fast = await relay.connect();
    relay.query.autoEnd = true;
    for (const client of [slow, fast]) {
      client.sendJson(['REQ', 'all', {}]);
      await client.next((m) => m[0] === 'EOSE');
    }
    slow.ws.pause();
    const content = 'x'.repeat(60_000);
    const event = signedRaw({ content });
    for (let i = 0; i < 2000 && relay.gateway.stats().slowConsumerDisconnects === 0; i++) {
      await relay.publish(event);
      await sleep(1);
    }
    assert.equal(relay.gateway.stats().slowConsumerDisconnects, 1);
    slow.ws.resume();
    assert.equal((await slow.waitClose(5000)).code, 1008);
    const last = signedRaw({ content: 'after' });
    await relay.publish(last);
    await fast.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === last.event.id, 0, 5000);
  } finally {
    await relay.close();
  }
});
