import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessChange } from '@nrelay/access';
import type { FanoutContinuity, FanoutMessage } from '@nrelay/seams/fanout';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { createReadYourWrites } from './read-your-writes.js';

/** A bus whose messages, gaps and fence the test drives. */
function fakeBus() {
  const handlers: Array<(m: FanoutMessage) => void> = [];
  const watchers: Array<(s: FanoutContinuity) => void> = [];
  let fenceFails = false;
  return {
    subscribe(h: (m: FanoutMessage) => void) {
      handlers.push(h);
      return () => void handlers.splice(handlers.indexOf(h), 1);
    },
    watchContinuity(w: (s: FanoutContinuity) => void) {
      watchers.push(w);
      return () => void watchers.splice(watchers.indexOf(w), 1);
    },
    fence: () => (fenceFails ? Promise.reject(new Error('not subscribed')) : Promise.resolve()),
    deliver(kind: number, lsn?: string) {
      const event = { id: 'a', pubkey: 'b', created_at: 1, kind, tags: [], content: '', sig: 'c' };
      const m: FanoutMessage = { v: 1, event, raw: '{}', acceptedAt: 1, ...(lsn ? { lsn } : {}) };
      for (const h of handlers) h(m);
    },
    gap(state: FanoutContinuity) {
      for (const w of watchers) w(state);
    },
    set fenceFails(value: boolean) {
      fenceFails = value;
    },
  };
}

/** An access-change bus the test announces on. */
function fakeChanges() {
  const handlers: Array<(change: AccessChange) => void> = [];
  return {
    subscribe(h: (change: AccessChange) => void) {
      handlers.push(h);
      return () => void handlers.splice(handlers.indexOf(h), 1);
    },
    fence: () => Promise.resolve(),
    announce() {
      for (const h of handlers) h({ v: 1, what: 'acl' });
    },
  };
}

/** An inner client recording what each request was sent with. */
function recordingClient() {
  const sent: QueryRequest[] = [];
  const client: QueryClient = {
    async *query(request) {
      sent.push(request);
      yield ['{}'];
    },
    count: async (request) => {
      sent.push(request);
      return 0;
    },
    items: async () => new Uint8Array(),
    close: async () => {},
  };
  return { sent, client };
}

const request: QueryRequest = { v: 1, filters: [{ kinds: [1] }], viewer: { authedPubkeys: [] } };
const signal = new AbortController().signal;
const drain = async (it: AsyncIterable<unknown>) => {
  for await (const _ of it);
};

test('unknown until the primary answers an unbounded request; then the highest position seen', async () => {
  const bus = fakeBus();
  const changes = fakeChanges();
  const rw = createReadYourWrites(bus, changes);
  const { sent, client } = recordingClient();
  const wrapped = rw.wrap(client);
  bus.deliver(1, '0/500');
  await drain(wrapped.query(request, signal));
  assert.equal(sent[0]?.minLsn, undefined, 'no baseline yet: read the primary');
  // The HTTP client reports the primary's position for that request.
  rw.onPrimaryLsn('0/400', sent[0] as object);
  assert.equal(rw.bound(), '0/500', 'the higher of the baseline and what was seen');
  bus.deliver(1, '0/A00');
  bus.deliver(20001); // ephemeral: no position, nothing lost
  await wrapped.count(request, signal);
  assert.equal(sent[1]?.minLsn, '0/A00');
  bus.deliver(1, '0/900'); // an older commit published late never lowers the bound
  await drain(wrapped.query(request, signal));
  assert.equal(sent[2]?.minLsn, '0/A00');
  rw.close();
});

test('a stored event without a position, an access change, a feed gap or a failed fence: back to the primary', async () => {
  const bus = fakeBus();
  const changes = fakeChanges();
  const rw = createReadYourWrites(bus, changes);
  const { sent, client } = recordingClient();
  const wrapped = rw.wrap(client);
  const baseline = async () => {
    await drain(wrapped.query(request, signal));
    rw.onPrimaryLsn('0/100', sent.at(-1) as object);
    assert.equal(rw.bound(), '0/100');
  };
  await baseline();
  bus.deliver(1); // an ingest worker that learns no positions
  assert.equal(rw.bound(), undefined);
  await baseline();
  changes.announce(); // a ban quarantined stored events at a position no message carried
  assert.equal(rw.bound(), undefined);
  await baseline();
  bus.gap('broken');
  assert.equal(rw.bound(), undefined);
  // Sent while broken: its answer is no baseline, even once restored.
  await drain(wrapped.query(request, signal));
  bus.gap('restored');
  rw.onPrimaryLsn('0/200', sent.at(-1) as object);
  assert.equal(rw.bound(), undefined);
  // Sent before a gap, answered after it: no baseline either.
  await drain(wrapped.query(request, signal));
  const beforeGap = sent.at(-1) as object;
  bus.gap('broken');
  bus.gap('restored');
  rw.onPrimaryLsn('0/300', beforeGap);
  assert.equal(rw.bound(), undefined);
  await baseline();
  bus.fenceFails = true;
  await drain(wrapped.query(request, signal));
  assert.equal(sent.at(-1)?.minLsn, undefined, 'no fence, no bound');
  rw.close();
});

test('an unknown bound waits for no fence: a bus that never answers does not hold the query', async () => {
  const bus = { ...fakeBus(), fence: () => new Promise<void>(() => {}) };
  const rw = createReadYourWrites(bus, fakeChanges(), 60_000);
  const { sent, client } = recordingClient();
  await drain(rw.wrap(client).query(request, signal));
  assert.equal(sent[0]?.minLsn, undefined);
  rw.close();
});
