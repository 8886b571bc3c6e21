import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedRaw } from '@nrelay/testkit';
import { sleep, startRelay } from './fixtures.js';

// One connection's share of the read path (issue 10, defects 3-5): stored queries in flight,
// stalled streams, COUNT floods and the stored-phase live buffers are bounded per connection.

const isEose = (sub: string) => (m: readonly unknown[]) => m[0] === 'EOSE' && m[1] === sub;

test('a connection runs at most MAX_QUERIES_PER_CONNECTION stored queries; another connection is not kept waiting', async () => {
  const relay = await startRelay({ MAX_QUERIES_PER_CONNECTION: 2 }, { querySlots: 4 });
  try {
    const flooder = await relay.connect();
    for (let i = 0; i < 10; i++) flooder.sendJson(['REQ', `f${i}`, { kinds: [1] }]);
    await relay.query.call(1);
    await sleep(50);
    assert.equal(relay.query.calls.length, 2, 'two queries run, eight wait');
    const bystander = await relay.connect();
    bystander.sendJson(['REQ', 'b', { kinds: [1] }]);
    const call = await relay.query.call(2);
    assert.deepEqual(call.request.filters, [{ kinds: [1], limit: 500 }]);
    const stats = relay.gateway.stats();
    assert.deepEqual([stats.querySlotsInUse, stats.queriesWaiting], [3, 8]);
    call.end();
    await bystander.next(isEose('b'));
    // A queued REQ keeps its subscription and runs when one of the connection's queries ends;
    // a CLOSEd one leaves the queue.
    flooder.sendJson(['CLOSE', 'f2']);
    await sleep(20);
    relay.query.calls[0]!.end();
    const next = await relay.query.call(3);
    next.end();
    await flooder.next(isEose('f0'));
    await flooder.next(isEose('f3'));
    assert.equal(flooder.all('EOSE', 'f2').length, 0);
  } finally {
    await relay.close();
  }
});

test('a stored stream the client does not read is aborted after STALLED_STREAM_TIMEOUT_MS and the connection closed 1008', async () => {
  const relay = await startRelay({ SEND_HIGH_WATER_BYTES: 1024, STALLED_STREAM_TIMEOUT_MS: 300 });
  try {
    const stalled = await relay.connect();
    stalled.sendJson(['REQ', 'big', {}]);
    const call = await relay.query.call(0);
    await sleep(20);
    stalled.ws.pause();
    const big = signedRaw({ content: 'x'.repeat(60_000) }).raw;
    const started = Date.now();
    // Feed the stream while the gateway takes it; it stops taking once the socket is full.
    for (let i = 0; i < 2000 && !call.signal.aborted; i++) {
      if (call.queued < 2) call.push(big);
      await sleep(2);
    }
    assert.equal(call.signal.aborted, true, 'the stalled query was aborted (its socket or page released)');
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 10_000, `aborted after ${tookMs} ms`);
    assert.equal(relay.gateway.stats().slowConsumerDisconnects, 1);
    stalled.ws.resume();
    assert.equal((await stalled.waitClose(5000)).code, 1008);
    // The slot was given back: another client's REQ runs.
    const other = await relay.connect();
    other.sendJson(['REQ', 'o', { kinds: [1] }]);
    (await relay.query.call(1)).end();
    await other.next(isEose('o'));
  } finally {
    await relay.close();
  }
});

test('2,000 identical COUNTs cost one count; COUNTs past MAX_SUBSCRIPTIONS are refused rate-limited:', async () => {
  const relay = await startRelay({ RATE_REQS_PER_CONNECTION: 0, MAX_SUBSCRIPTIONS: 64 });
  try {
    let counts = 0;
    let answer: (n: number) => void = () => undefined;
    relay.query.countAnswer = () => {
      counts++;
      return new Promise((resolve) => {
        answer = resolve;
      });
    };
    const client = await relay.connect();
    const others = await Promise.all([relay.connect(), relay.connect()]);
    for (let i = 0; i < 2000; i++) client.sendJson(['COUNT', `c${i}`, {}]);
    for (const [i, other] of others.entries()) other.sendJson(['COUNT', `o${i}`, {}]);
    await client.next((m) => m[0] === 'CLOSED' && m[1] === 'c1999', 0, 5000);
    await sleep(50);
    assert.equal(counts, 1, 'one count in flight for every identical COUNT');
    answer(7);
    await client.next((m) => m[0] === 'COUNT' && m[1] === 'c63', 0, 5000);
    for (const [i, other] of others.entries()) {
      assert.deepEqual(await other.next((m) => m[1] === `o${i}`), ['COUNT', `o${i}`, { count: 7 }]);
    }
    const answered = client.all('COUNT').length;
    const refused = client.all('CLOSED');
    assert.equal(answered, 64);
    assert.equal(refused.length, 2000 - 64);
    for (const m of refused) assert.match(String(m[2]), /^rate-limited: too many queries in flight/);
    // Kept for COUNT_CACHE_MS: the next identical COUNT is answered without a query.
    client.sendJson(['COUNT', 'again', {}]);
    assert.deepEqual(await client.next((m) => m[1] === 'again'), ['COUNT', 'again', { count: 7 }]);
    assert.equal(counts, 1);
  } finally {
    await relay.close();
  }
});

test('COUNTs in flight count against MAX_SUBSCRIPTIONS for REQs too', async () => {
  const relay = await startRelay({ MAX_SUBSCRIPTIONS: 2 });
  try {
    relay.query.countAnswer = () => new Promise(() => undefined);
    const client = await relay.connect();
    client.sendJson(['COUNT', 'c1', { kinds: [1] }]);
    client.sendJson(['COUNT', 'c2', { kinds: [2] }]);
    client.sendJson(['REQ', 'r', { kinds: [1] }]);
    const closed = await client.next((m) => m[0] === 'CLOSED' && m[1] === 'r');
    assert.match(String(closed[2]), /^restricted: too many subscriptions/);
  } finally {
    await relay.close();
  }
});

test("the stored-phase live buffers of all of a connection's subscriptions share one byte bound", async () => {
  const relay = await startRelay({ SEND_MAX_BUFFERED_BYTES: 100_000 });
  try {
    const client = await relay.connect();
    // Ten subscriptions in their stored phase (their queries never end), each buffering one
    // 20 KB event per publish: 10 x 20 KB = 200 KB in all, under 100 KB each.
    for (let i = 0; i < 10; i++) client.sendJson(['REQ', `s${i}`, { kinds: [1] }]);
    await relay.query.call(3);
    await sleep(20);
    await relay.publish(signedRaw({ content: 'y'.repeat(20_000) }));
    assert.equal((await client.waitClose(2000)).code, 1008);
    assert.equal(relay.gateway.stats().slowConsumerDisconnects, 1);
  } finally {
    await relay.close();
  }
});

test('NIP-11 advertises the per-connection query bounds', async () => {
  const relay = await startRelay();
  try {
    const res = await fetch(`http://127.0.0.1:${relay.port}/`, {
      headers: { Accept: 'application/nostr+json' },
    });
    const { limitation } = (await res.json()) as { limitation: Record<string, unknown> };
    assert.equal(limitation.max_subscriptions, 64);
    assert.equal(limitation.nrelay_max_queries_per_connection, 4);
    assert.equal(limitation.nrelay_stalled_stream_timeout_ms, 15000);
  } finally {
    await relay.close();
  }
});
