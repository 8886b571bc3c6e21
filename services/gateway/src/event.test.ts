import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawClient, signedRaw } from '@nrelay/testkit';
import { startRelay } from './fixtures.js';

const okFor = (id: string) => (m: readonly unknown[]) => m[0] === 'OK' && m[1] === id;

test('one OK per EVENT: accepted, refused by ingest, ingest failure', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    const good = signedRaw({ content: 'hello' });
    const dup = signedRaw({ content: 'dup' });
    const boom = signedRaw({ content: 'boom' });
    relay.ingest.answer = async (request) => {
      if (request.event.event.id === dup.event.id)
        return { ok: false, reason: 'duplicate: already have this event' };
      if (request.event.event.id === boom.event.id) throw new Error('queue down');
      return { ok: true, reason: '' };
    };
    for (const e of [good, dup, boom]) client.send(`["EVENT",${e.raw}]`);
    assert.deepEqual(await client.next(okFor(good.event.id)), ['OK', good.event.id, true, '']);
    assert.deepEqual(await client.next(okFor(dup.event.id)), [
      'OK',
      dup.event.id,
      false,
      'duplicate: already have this event',
    ]);
    const failed = await client.next(okFor(boom.event.id));
    assert.equal(failed[2], false);
    assert.match(failed[3] as string, /^error: /);
    assert.equal(client.all('OK').length, 3);
    const request = relay.ingest.requests[0]!;
    assert.equal(request.v, 1);
    assert.equal(request.gatewayId, 'test-gateway');
    assert.equal(request.event.raw, good.raw);
    assert.deepEqual(request.authedPubkeys, []);
    assert.equal(typeof request.connectionId, 'string');
    assert.ok(Math.abs(request.receivedAt - Date.now()) < 5000);
    const stats = relay.gateway.stats();
    assert.equal(stats.messagesIn.EVENT, 3);
    assert.equal(stats.messagesOut.OK, 3);
  } finally {
    await relay.close();
  }
});

test('a wrong id or a kind 22242 EVENT is refused in the gateway, never submitted', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    const tampered = signedRaw({ content: 'original' });
    const forged = { ...tampered.event, content: 'changed' };
    client.sendJson(['EVENT', forged]);
    assert.deepEqual(await client.next(okFor(forged.id)), [
      'OK',
      forged.id,
      false,
      'invalid: event id does not match',
    ]);
    const auth = signedRaw({ kind: 22242, tags: [['challenge', 'x']] });
    client.send(`["EVENT",${auth.raw}]`);
    const refused = await client.next(okFor(auth.event.id));
    assert.equal(refused[2], false);
    assert.match(refused[3] as string, /^invalid: /);
    assert.equal(relay.ingest.requests.length, 0);
  } finally {
    await relay.close();
  }
});

test('bad frames are answered in NIP-01 form and the connection stays usable', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    client.send('this is not json');
    const notice = await client.next((m) => m[0] === 'NOTICE');
    assert.match(notice[1] as string, /^invalid: /);
    client.sendJson(['REQ', 'sub1', { kinds: 'nope' }]);
    const closed = await client.next((m) => m[0] === 'CLOSED');
    assert.equal(closed[1], 'sub1');
    assert.match(closed[2] as string, /^invalid: /);
    const good = signedRaw({});
    client.sendJson(['EVENT', { ...good.event, kind: 'one' }]);
    const ok = await client.next((m) => m[0] === 'OK');
    assert.deepEqual(ok.slice(0, 3), ['OK', good.event.id, false]);
    assert.match(ok[3] as string, /^invalid: /);
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await client.next((m) => m[0] === 'NOTICE' && String(m[1]).includes('binary'));
    const before = client.mark();
    client.send(`["EVENT",${good.raw}]`);
    assert.deepEqual(await client.next(okFor(good.event.id), before), ['OK', good.event.id, true, '']);
    assert.equal(relay.gateway.stats().messagesIn.invalid, 3);
  } finally {
    await relay.close();
  }
});

test('a frame over MAX_MESSAGE_BYTES gets OK false (or NOTICE) and the connection stays usable', async () => {
  const relay = await startRelay({ MAX_MESSAGE_BYTES: 2048, MAX_FRAME_BYTES: 16384 });
  try {
    const client = await relay.connect();
    const big = signedRaw({ content: 'x'.repeat(4000) });
    client.send(`["EVENT",${big.raw}]`);
    assert.deepEqual(await client.next(okFor(big.event.id)), [
      'OK',
      big.event.id,
      false,
      'invalid: message too large (max 2048 bytes)',
    ]);
    client.sendJson(['REQ', 'x', { authors: ['a'.repeat(64)], '#t': ['y'.repeat(4000)] }]);
    assert.deepEqual(await client.next((m) => m[0] === 'NOTICE'), [
      'NOTICE',
      'invalid: message too large (max 2048 bytes)',
    ]);
    const small = signedRaw({ content: 'fits' });
    client.send(`["EVENT",${small.raw}]`);
    assert.deepEqual(await client.next(okFor(small.event.id)), ['OK', small.event.id, true, '']);
    assert.equal(relay.ingest.requests.length, 1);
  } finally {
    await relay.close();
  }
});

test('a frame over MAX_FRAME_BYTES closes that connection with 1009; others are still served', async () => {
  const relay = await startRelay({ MAX_MESSAGE_BYTES: 2048, MAX_FRAME_BYTES: 16384 });
  try {
    const victim = await relay.connect();
    const bystander = await relay.connect();
    victim.send(`["EVENT",${signedRaw({ content: 'x'.repeat(20_000) }).raw}]`);
    assert.equal((await victim.waitClose()).code, 1009);
    const e = signedRaw({ content: 'still here' });
    bystander.send(`["EVENT",${e.raw}]`);
    assert.deepEqual(await bystander.next(okFor(e.event.id)), ['OK', e.event.id, true, '']);
    const late = await RawClient.open(relay.url);
    late.ws.terminate();
  } finally {
    await relay.close();
  }
});
