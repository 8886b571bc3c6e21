import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { type Message, signedRaw } from '@nrelay/testkit';
import type { Connection } from '../connection.js';
import { sleep, startRelay, type TestRelay } from '../fixtures.js';
import type { ConnectionInfo } from '../hooks.js';
import { LIVE_DEDUPE_WINDOW_MS, type Subscription } from './subscription.js';

// One test per transition of a Subscription (registered → stored → live → closed) and the races
// between them, driven through the gateway with a query stream the test controls.

const isEose = (sub: string) => (m: Message) => m[0] === 'EOSE' && m[1] === sub;
const isEvent = (sub: string, id: string) => (m: Message) =>
  m[0] === 'EVENT' && m[1] === sub && (m[2] as { id: string }).id === id;
const eventIds = (messages: Message[]) => messages.map((m) => (m[2] as { id: string }).id);

/** A relay whose connections the test can look into. */
async function relayWithConnections(settings: Record<string, unknown> = {}, hooks = {}) {
  const connections: Connection[] = [];
  const onConnect = [(conn: ConnectionInfo) => void connections.push(conn as Connection)];
  const relay = await startRelay(settings, { hooks: { onConnect, ...hooks } });
  return { relay, connections };
}

/** The subscription `id` of the only connection, once it exists. */
async function subscriptionOf(connections: Connection[], id: string): Promise<Subscription> {
  for (let i = 0; i < 100; i++) {
    const sub = connections[0]?.subscriptions.get(id);
    if (sub !== undefined) return sub;
    await sleep(5);
  }
  throw new Error(`no subscription ${id}`);
}

async function withRelay(
  run: (relay: TestRelay, connections: Connection[]) => Promise<void>,
  settings: Record<string, unknown> = {},
  hooks = {},
): Promise<void> {
  const { relay, connections } = await relayWithConnections(settings, hooks);
  try {
    await run(relay, connections);
  } finally {
    await relay.close();
  }
}

/** Lets the pending REQ hook of the first test answer. */
let allow: () => void = () => undefined;

test('registered → stored → live: held while its hooks run, in the index from the stored phase, live after EOSE', () =>
  withRelay(
    async (relay, connections) => {
      const client = await relay.connect();
      client.sendJson(['REQ', 's', { kinds: [1] }]);
      const sub = await subscriptionOf(connections, 's');
      assert.equal(sub.state, 'registered');
      assert.equal(relay.gateway.stats().subscriptions, 0, 'not in the live index while hooks run');
      allow();
      const call = await relay.query.call(0);
      assert.equal(sub.state, 'stored');
      assert.equal(relay.gateway.stats().subscriptions, 1);
      call.end();
      await client.next(isEose('s'));
      assert.equal(sub.state, 'live');
      const live = signedRaw({ content: 'live' });
      await relay.publish(live);
      await client.next(isEvent('s', live.event.id));
    },
    {},
    { rejectReq: [() => new Promise<undefined>((resolve) => (allow = () => resolve(undefined)))] },
  ));

test('a live event during the stored phase is buffered, then flushed once after EOSE, not duplicated when the query also returned it', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    const both = signedRaw({ content: 'stored and live' });
    const liveOnly = signedRaw({ content: 'live only' });
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    await relay.publish(both);
    await relay.publish(liveOnly);
    await relay.publish(liveOnly);
    await sleep(20);
    assert.equal(client.all('EVENT').length, 0, 'buffered, nothing sent during the stored phase');
    const conn = connections[0]!;
    assert.equal(conn.storedPhaseBytes, both.raw.length + 2 * liveOnly.raw.length);
    call.push(both.raw);
    call.end();
    await client.next(isEose('s'));
    await client.next(isEvent('s', liveOnly.event.id));
    assert.equal(conn.storedPhaseBytes, 0, 'the buffer gave its bytes back');
    // In the dedupe window a late copy of an event already sent is skipped.
    await relay.publish(both);
    const after = signedRaw({ content: 'after' });
    await relay.publish(after);
    await client.next(isEvent('s', after.event.id));
    assert.deepEqual(eventIds(client.all('EVENT', 's')), [both.event.id, liveOnly.event.id, after.event.id]);
  }));

test('CLOSE during the stored phase aborts the query, gives back its buffer and nothing is sent after', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    const sub = await subscriptionOf(connections, 's');
    await relay.publish(signedRaw({ content: 'buffered' }));
    assert.ok(connections[0]!.storedPhaseBytes > 0);
    client.sendJson(['CLOSE', 's']);
    while (!call.signal.aborted) await sleep(5);
    assert.equal(sub.state, 'closed');
    assert.equal(connections[0]!.storedPhaseBytes, 0);
    call.push(signedRaw({ content: 'too late' }).raw);
    call.end();
    await relay.publish(signedRaw({ content: 'live, too late' }));
    client.sendJson(['REQ', 'probe', { kinds: [2], limit: 0 }]);
    await client.next(isEose('probe'));
    assert.deepEqual(client.all('EVENT'), []);
    assert.deepEqual(client.all('EOSE', 's'), []);
    assert.equal(relay.gateway.stats().subscriptions, 1, 'only the probe');
  }));

test('a REQ replacing a REQ mid-stream: the old results stop, the new EOSE comes once', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    const old = signedRaw({ content: 'old' });
    const fresh = signedRaw({ kind: 2, content: 'new' });
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const first = await relay.query.call(0);
    const firstSub = await subscriptionOf(connections, 's');
    first.push(old.raw);
    await client.next(isEvent('s', old.event.id));
    client.sendJson(['REQ', 's', { kinds: [2] }]);
    const second = await relay.query.call(1);
    assert.equal(first.signal.aborted, true);
    assert.equal(firstSub.state, 'closed');
    first.push(signedRaw({ content: 'old, after replacement' }).raw);
    first.end();
    second.push(fresh.raw);
    second.end();
    await client.next(isEose('s'));
    assert.equal(connections[0]!.subscriptions.get('s')?.state, 'live');
    await sleep(20);
    assert.deepEqual(eventIds(client.all('EVENT', 's')), [old.event.id, fresh.event.id]);
    assert.equal(client.all('EOSE', 's').length, 1);
  }));

test('a REQ queued for a query slot, then closed, leaves the queue and never queries', () =>
  withRelay(
    async (relay, connections) => {
      const client = await relay.connect();
      client.sendJson(['REQ', 'a', { kinds: [1] }]);
      client.sendJson(['REQ', 'b', { kinds: [1] }]);
      const a = await relay.query.call(0);
      const b = await subscriptionOf(connections, 'b');
      while (relay.gateway.stats().queriesWaiting < 1) await sleep(5);
      assert.equal(b.state, 'stored', 'registered live while it waits');
      client.sendJson(['CLOSE', 'b']);
      while (relay.gateway.stats().queriesWaiting > 0) await sleep(5);
      assert.equal(b.state, 'closed');
      a.end();
      await client.next(isEose('a'));
      await sleep(20);
      assert.equal(relay.query.calls.length, 1);
      assert.deepEqual(client.all('EOSE', 'b'), []);
    },
    { MAX_QUERIES_PER_CONNECTION: 1 },
  ));

test('an ids-only REQ that found everything ends at EOSE and gives back the bytes it buffered', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    const wanted = signedRaw({ content: 'wanted' });
    client.sendJson(['REQ', 'ids', { ids: [wanted.event.id] }]);
    const call = await relay.query.call(0);
    const sub = await subscriptionOf(connections, 'ids');
    // Its own fanout message arrives during the stored phase and is buffered.
    await relay.publish(wanted);
    assert.equal(connections[0]!.storedPhaseBytes, wanted.raw.length);
    call.push(wanted.raw);
    call.end();
    await client.next(isEose('ids'));
    assert.equal(sub.state, 'closed');
    assert.equal(connections[0]!.subscriptions.has('ids'), false);
    assert.equal(relay.gateway.stats().subscriptions, 0);
    assert.equal(connections[0]!.storedPhaseBytes, 0, 'no bytes left counted against the connection');
    assert.deepEqual(eventIds(client.all('EVENT', 'ids')), [wanted.event.id]);
  }));

test('a failed stored phase closes the subscription with CLOSED error:', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    const sub = await subscriptionOf(connections, 's');
    await relay.publish(signedRaw({ content: 'buffered' }));
    call.fail(new Error('database down'));
    const closed = await client.next((m) => m[0] === 'CLOSED' && m[1] === 's');
    assert.match(String(closed[2]), /^error: /);
    assert.equal(sub.state, 'closed');
    assert.equal(connections[0]!.storedPhaseBytes, 0);
    assert.equal(relay.gateway.stats().subscriptions, 0);
  }));

test('a disconnect during the stored phase aborts the query and closes the subscription', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    const sub = await subscriptionOf(connections, 's');
    client.ws.close();
    while (!call.signal.aborted) await sleep(5);
    assert.equal(sub.state, 'closed');
    assert.equal(relay.gateway.stats().subscriptions, 0);
  }));

/** The per-subscription structures an idle live subscription still holds. */
function heldStructures(sub: Subscription): string[] {
  const found: string[] = [];
  for (const value of Object.values(sub)) {
    if (value instanceof AbortController) found.push('AbortController');
    else if (value instanceof Set) found.push('Set');
    else if (Array.isArray(value) && value !== sub.filters) found.push('Array');
  }
  return found.sort();
}

test('a live subscription keeps no query controller or buffer; the ids sent only while they can matter', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    client.sendJson(['REQ', 'empty', { kinds: [1] }]);
    (await relay.query.call(0)).end();
    await client.next(isEose('empty'));
    assert.deepEqual(heldStructures(await subscriptionOf(connections, 'empty')), []);
    client.sendJson(['REQ', 'found', { kinds: [1] }]);
    const call = await relay.query.call(1);
    await relay.publish(signedRaw({ content: 'buffered' }));
    call.push(signedRaw({ content: 'stored' }).raw);
    call.end();
    await client.next(isEose('found'));
    const found = await subscriptionOf(connections, 'found');
    assert.deepEqual(heldStructures(found), ['Set'], 'the ids sent, for the dedupe window');
  }));

test('after the dedupe window a live event is no longer checked against the ids sent, which are dropped', () =>
  withRelay(async (relay, connections) => {
    const client = await relay.connect();
    const stored = signedRaw({ content: 'stored' });
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    const call = await relay.query.call(0);
    call.push(stored.raw);
    call.end();
    await client.next(isEose('s'));
    const sub = await subscriptionOf(connections, 's');
    await relay.publish(stored);
    assert.equal(client.all('EVENT', 's').length, 1, 'skipped inside the window');
    assert.deepEqual(heldStructures(sub), ['Set']);
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      mock.timers.tick(LIVE_DEDUPE_WINDOW_MS + 1);
      // A copy this late is a new delivery (e.g. republished), not a late fanout of the query's.
      await relay.publish(stored);
    } finally {
      mock.timers.reset();
    }
    await client.next((m) => m[0] === 'EVENT' && client.all('EVENT', 's').length === 2);
    assert.deepEqual(heldStructures(sub), [], 'the ids sent are dropped once the window passed');
  }));
