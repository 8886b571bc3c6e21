import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedRaw } from '@nrelay/testkit';
import { sleep, startRelay } from './fixtures.js';

const isEose = (sub: string) => (m: readonly unknown[]) => m[0] === 'EOSE' && m[1] === sub;
const eventIds = (messages: (readonly unknown[])[]) => messages.map((m) => (m[2] as { id: string }).id);

test('REQ ordering: stored, EOSE, buffered live once (deduped against stored), then live', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    const stored = signedRaw({ content: 'stored' });
    const liveDuringStored = signedRaw({ content: 'live during stored phase' });
    const liveAfter = signedRaw({ content: 'live after' });
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    call.push(stored.raw);
    await client.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === stored.event.id);
    // Both arrive while the subscription is still in its stored phase: buffered, not sent yet.
    await relay.publish(stored);
    await relay.publish(liveDuringStored);
    await sleep(20);
    assert.equal(client.all('EVENT').length, 1);
    call.end();
    await client.next(isEose('s'));
    await client.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === liveDuringStored.event.id);
    await relay.publish(liveAfter);
    await client.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === liveAfter.event.id);
    const verbs = client.messages.filter((m) => m[0] !== 'AUTH').map((m) => m[0]);
    assert.deepEqual(verbs, ['EVENT', 'EOSE', 'EVENT', 'EVENT']);
    assert.deepEqual(eventIds(client.all('EVENT', 's')), [
      stored.event.id,
      liveDuringStored.event.id,
      liveAfter.event.id,
    ]);
  } finally {
    await relay.close();
  }
});

test('a fanout message arriving after EOSE for an event already sent from storage is not sent again', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    const stored = signedRaw({ content: 'committed just before the query' });
    const fresh = signedRaw({ content: 'new live event' });
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    call.push(stored.raw);
    call.end();
    await client.next(isEose('s'));
    // In a cluster the stored event's own fanout message can come after the query returned it.
    await relay.publish(stored);
    await relay.publish(fresh);
    await client.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === fresh.event.id);
    assert.deepEqual(eventIds(client.all('EVENT', 's')), [stored.event.id, fresh.event.id]);
  } finally {
    await relay.close();
  }
});

test('REQ reusing an open id replaces it: the old query is aborted and not counted', async () => {
  const relay = await startRelay({ MAX_SUBSCRIPTIONS: 1 });
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const first = await relay.query.call(0);
    client.sendJson(['REQ', 's', { kinds: [2] }]);
    const second = await relay.query.call(1);
    assert.equal(first.signal.aborted, true);
    assert.equal(second.signal.aborted, false);
    assert.equal(relay.gateway.stats().subscriptions, 1);
    second.end();
    await client.next(isEose('s'));
    await relay.publish(signedRaw({ kind: 1 }));
    const kind2 = signedRaw({ kind: 2 });
    await relay.publish(kind2);
    await client.next((m) => m[0] === 'EVENT');
    assert.deepEqual(eventIds(client.all('EVENT')), [kind2.event.id]);
    assert.equal(client.all('CLOSED').length, 0);
  } finally {
    await relay.close();
  }
});

test('CLOSE aborts the query and drops the subscription; an unknown id is ignored silently', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 's', {}]);
    const call = await relay.query.call(0);
    client.sendJson(['CLOSE', 's']);
    client.sendJson(['CLOSE', 'never-opened']);
    client.send('not json');
    await client.next((m) => m[0] === 'NOTICE');
    assert.equal(call.signal.aborted, true);
    assert.equal(relay.gateway.stats().subscriptions, 0);
    assert.deepEqual(
      client.messages.filter((m) => m[0] !== 'AUTH').map((m) => m[0]),
      ['NOTICE'],
    );
  } finally {
    await relay.close();
  }
});

test('ids-only REQ whose ids were all found gets EOSE and no live part', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    const a = signedRaw({ content: 'a' });
    const b = signedRaw({ content: 'b' });
    client.sendJson(['REQ', 'found', { ids: [a.event.id] }]);
    const call = await relay.query.call(0);
    call.push(a.raw);
    call.end();
    await client.next(isEose('found'));
    assert.equal(relay.gateway.stats().subscriptions, 0);
    client.sendJson(['REQ', 'missing', { ids: [a.event.id, b.event.id] }]);
    const second = await relay.query.call(1);
    second.push(a.raw);
    second.end();
    await client.next(isEose('missing'));
    assert.equal(relay.gateway.stats().subscriptions, 1);
    await relay.publish(b);
    await client.next(
      (m) => m[0] === 'EVENT' && m[1] === 'missing' && (m[2] as { id: string }).id === b.event.id,
    );
  } finally {
    await relay.close();
  }
});

test('limits are normalised; limit 0 filters skip the stored query but stay live', async () => {
  const relay = await startRelay({ DEFAULT_LIMIT: 10, MAX_LIMIT: 100 });
  try {
    const client = await relay.connect();
    relay.query.autoEnd = true;
    client.sendJson(['REQ', 'a', { kinds: [1], limit: 5000 }, { kinds: [2] }, { kinds: [3], limit: 0 }]);
    await client.next(isEose('a'));
    const call = await relay.query.call(0);
    assert.deepEqual(
      call.request.filters.map((f) => f.limit),
      [100, 10],
    );
    // Kind 7, not 4: kind 4 is privileged and this connection is not authenticated.
    client.sendJson(['REQ', 'zero', { kinds: [7], limit: 0 }]);
    await client.next(isEose('zero'));
    assert.equal(relay.query.calls.length, 1);
    const live = signedRaw({ kind: 7 });
    await relay.publish(live);
    await client.next((m) => m[0] === 'EVENT' && m[1] === 'zero');
  } finally {
    await relay.close();
  }
});

test('too many subscriptions get CLOSED restricted; a failing query gets CLOSED error', async () => {
  const relay = await startRelay({ MAX_SUBSCRIPTIONS: 2 });
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 'a', {}]);
    client.sendJson(['REQ', 'b', {}]);
    client.sendJson(['REQ', 'c', {}]);
    const closed = await client.next((m) => m[0] === 'CLOSED');
    assert.deepEqual(closed, ['CLOSED', 'c', 'restricted: too many subscriptions (max 2)']);
    const b = await relay.query.call(1);
    b.fail(new Error('database down'));
    const failed = await client.next((m) => m[0] === 'CLOSED' && m[1] === 'b');
    assert.match(failed[2] as string, /^error: /);
    assert.equal(relay.gateway.stats().subscriptions, 1);
  } finally {
    await relay.close();
  }
});

test('stored streaming pauses above SEND_HIGH_WATER_BYTES until the client reads', async () => {
  const relay = await startRelay({ SEND_HIGH_WATER_BYTES: 16384 });
  try {
    const client = await relay.connect();
    client.ws.pause();
    client.sendJson(['REQ', 'big', {}]);
    const call = await relay.query.call(0);
    const events = Array.from({ length: 600 }, (_, i) =>
      signedRaw({ content: `${i}:${'x'.repeat(50_000)}` }),
    );
    for (const e of events) call.push(e.raw);
    call.end();
    await sleep(200);
    assert.ok(call.queued > 200, `the gateway stopped pulling (still queued: ${call.queued})`);
    client.ws.resume();
    await client.next(isEose('big'), 0, 10_000);
    assert.equal(client.all('EVENT', 'big').length, events.length);
  } finally {
    await relay.close();
  }
});

test('COUNT answers with the count; a failing count is CLOSED', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    relay.query.countAnswer = async (request) =>
      request.filters[0]?.kinds?.[0] === 1 ? 42 : Promise.reject(new Error('x'));
    client.sendJson(['COUNT', 'c1', { kinds: [1] }]);
    assert.deepEqual(await client.next((m) => m[0] === 'COUNT'), ['COUNT', 'c1', { count: 42 }]);
    client.sendJson(['COUNT', 'c2', { kinds: [2] }]);
    const closed = await client.next((m) => m[0] === 'CLOSED');
    assert.equal(closed[1], 'c2');
    assert.match(closed[2] as string, /^error: /);
  } finally {
    await relay.close();
  }
});
