import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawEvent } from '@nrelay/protocol';
import { createMemoryFanoutBus, type FanoutMessage } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';
import { type Draft, signedRaw } from '@nrelay/testkit';
import { generateSecretKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { createIngestPipeline, type IngestDeps } from './pipeline.js';

const sk = generateSecretKey();
const now = () => 1_700_000_000_000;
const nowSec = 1_700_000_000;

function raw(template: Draft & { kind: number }): RawEvent {
  return signedRaw({ created_at: nowSec, ...template }, sk);
}

function request(event: RawEvent): IngestRequest {
  return { v: 1, event, receivedAt: now(), gatewayId: 'g', connectionId: 'c', authedPubkeys: [] };
}

/** A fake store recording each batch it was asked to save. */
function fakeStore(outcome: (e: RawEvent) => SaveOutcome | Error = () => ({ status: 'stored' })) {
  const batches: string[][] = [];
  return {
    batches,
    async save(events: RawEvent[]): Promise<SaveOutcome[]> {
      batches.push(events.map((e) => e.event.id));
      await new Promise((r) => setImmediate(r));
      return events.map((e) => {
        const o = outcome(e);
        if (o instanceof Error) throw o;
        return o;
      });
    },
  };
}

function setup(overrides: Partial<IngestDeps> = {}, store = fakeStore()) {
  const fanout = createMemoryFanoutBus();
  const published: FanoutMessage[] = [];
  fanout.subscribe((m) => published.push(m));
  const pipeline = createIngestPipeline({
    store,
    fanout,
    logger: pino({ level: 'silent' }),
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
    now,
    ...overrides,
  });
  return { pipeline, published, store };
}

test('a valid event is stored, answered OK true and published after commit', async () => {
  const { pipeline, published, store } = setup();
  const e = raw({ kind: 1, content: 'hi' });
  assert.deepEqual(await pipeline.process(request(e)), { ok: true, reason: '' });
  assert.deepEqual(store.batches, [[e.event.id]]);
  await new Promise((r) => setImmediate(r));
  assert.equal(published.length, 1);
  assert.equal(published[0]?.raw, e.raw);
  assert.equal(published[0]?.acceptedAt, now());
});

test('tampered events are refused before the store', async () => {
  const { pipeline, store } = setup();
  const e = raw({ kind: 1, content: 'original' });
  const badContent = { ...e, event: { ...e.event, content: 'changed' } };
  assert.match((await pipeline.process(request(badContent))).reason, /^invalid: event id/);
  const sig = e.event.sig;
  const badSig = { ...e, event: { ...e.event, sig: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) } };
  assert.equal((await pipeline.process(request(badSig))).reason, 'invalid: bad signature');
  assert.deepEqual(store.batches, []);
});

test('policy: created_at bounds, proof of work, expiry on arrival, AUTH kind, hooks', async () => {
  const { pipeline } = setup({
    policy: { createdAtLowerLimit: 3600, createdAtUpperLimit: 60, minPowDifficulty: 0 },
    hooks: { rejectEvent: [(ev) => (ev.content === 'spam' ? 'blocked: no spam' : undefined)] },
  });
  const cases: Array<[RawEvent, RegExp]> = [
    [raw({ kind: 1, created_at: nowSec + 61 }), /^invalid: created_at is more than 60 seconds in the future/],
    [
      raw({ kind: 1, created_at: nowSec - 3601 }),
      /^invalid: created_at is more than 3600 seconds in the past/,
    ],
    [raw({ kind: 1, tags: [['expiration', String(nowSec - 1)]] }), /^invalid: event has expired/],
    [raw({ kind: 22242, tags: [['challenge', 'x']] }), /^invalid: kind 22242/],
    [raw({ kind: 1, content: 'spam' }), /^blocked: no spam$/],
  ];
  for (const [e, expected] of cases) {
    const result = await pipeline.process(request(e));
    assert.equal(result.ok, false);
    assert.match(result.reason, expected);
  }
  assert.equal((await pipeline.process(request(raw({ kind: 1, created_at: nowSec + 59 })))).ok, true);
});

test('proof of work below the minimum gets a pow: answer', async () => {
  const { pipeline } = setup({
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 30 },
  });
  const result = await pipeline.process(request(raw({ kind: 1 })));
  assert.equal(result.ok, false);
  assert.match(result.reason, /^pow: difficulty \d+ is less than 30$/);
});

test('ephemeral events are published and answered, never stored', async () => {
  const seen: string[] = [];
  const { pipeline, published, store } = setup({ hooks: { onEphemeralEvent: [(ev) => seen.push(ev.id)] } });
  const e = raw({ kind: 20001 });
  assert.deepEqual(await pipeline.process(request(e)), { ok: true, reason: '' });
  assert.deepEqual(store.batches, []);
  assert.equal(published.length, 1);
  assert.deepEqual(seen, [e.event.id]);
});

test('store outcomes map to OK answers; only stored events are published', async () => {
  const outcomes: Record<string, SaveOutcome | Error> = {};
  const store = fakeStore((e) => outcomes[e.event.content] ?? { status: 'stored' });
  const { pipeline, published } = setup({}, store);
  outcomes.dup = { status: 'duplicate' };
  outcomes.old = { status: 'replaced-older' };
  outcomes.gone = { status: 'deleted' };
  outcomes.boom = new Error('connection reset');
  const answer = async (content: string) => pipeline.process(request(raw({ kind: 1, content })));
  assert.deepEqual(await answer('dup'), { ok: true, reason: 'duplicate: already have this event' });
  assert.match((await answer('old')).reason, /^duplicate: a newer version/);
  assert.deepEqual(await answer('gone'), {
    ok: false,
    reason: 'blocked: this event was deleted by its author',
  });
  assert.match((await answer('boom')).reason, /^error: /);
  await new Promise((r) => setImmediate(r));
  assert.equal(published.length, 0);
  // A job run again (its first run may have died between commit and publish): the stored
  // duplicate is published, before the OK; refused outcomes still are not.
  const replayed = async (content: string) =>
    pipeline.process({ ...request(raw({ kind: 1, content })), replay: true });
  assert.equal((await replayed('dup')).ok, true);
  assert.deepEqual(
    published.map((m) => m.event.content),
    ['dup'],
  );
  await replayed('old');
  await replayed('gone');
  assert.equal(published.length, 1);
});

test('read replicas on: each message carries the WAL position read once after its batch', async () => {
  let reads = 0;
  const positions = ['0/100', '0/200'];
  const { pipeline, published } = setup({
    maxBatch: 8,
    walPosition: async () => positions[reads++] ?? '0/FFF',
  });
  const first = Array.from({ length: 3 }, (_, i) => raw({ kind: 1, content: `a${i}` }));
  await Promise.all(first.map((e) => pipeline.process(request(e))));
  assert.equal(reads, 1, 'one read per batch, not per event');
  assert.deepEqual(
    published.map((m) => m.lsn),
    ['0/100', '0/100', '0/100'],
  );
  // Ephemeral events are never stored: no position.
  await pipeline.process(request(raw({ kind: 20001, content: 'e' })));
  await new Promise((r) => setImmediate(r));
  assert.equal(published.at(-1)?.lsn, undefined);
  await pipeline.process(request(raw({ kind: 1, content: 'b' })));
  assert.equal(published.at(-1)?.lsn, '0/200');
});

test('a failed WAL position read leaves the event stored and published without one', async () => {
  const { pipeline, published } = setup({
    walPosition: () => Promise.reject(new Error('connection reset')),
  });
  assert.deepEqual(await pipeline.process(request(raw({ kind: 1, content: 'x' }))), { ok: true, reason: '' });
  assert.equal(published.length, 1);
  assert.equal(published[0]?.lsn, undefined);
});

test('concurrent submissions are written in shared batches, each with its own answer', async () => {
  const { pipeline, store } = setup({ maxBatch: 8 });
  const events = Array.from({ length: 20 }, (_, i) => raw({ kind: 1, content: `n${i}` }));
  const results = await Promise.all(events.map((e) => pipeline.process(request(e))));
  assert.ok(results.every((r) => r.ok));
  const written = store.batches.flat();
  assert.equal(written.length, 20);
  assert.ok(store.batches.length <= 4, `expected batching, got ${store.batches.length} batches`);
  assert.ok(store.batches.every((b) => b.length <= 8));
});

test('after close, new events are refused with error: and queued ones still finish', async () => {
  const { pipeline } = setup();
  const pending = pipeline.process(request(raw({ kind: 1, content: 'in flight' })));
  await pipeline.close();
  assert.equal((await pending).ok, true);
  assert.match((await pipeline.process(request(raw({ kind: 1 })))).reason, /^error: relay is shutting down/);
});

test('NIP-62: a request to vanish is applied only when it names this relay or ALL_RELAYS', async () => {
  const { pipeline, published, store } = setup();
  const here = 'wss://relay.example.com';
  const vanishing = (tags: string[][], relayUrl?: string) => {
    const r = request(raw({ kind: 62, tags }));
    return pipeline.process(relayUrl === undefined ? r : { ...r, relayUrl });
  };
  assert.deepEqual(await vanishing([]), {
    ok: false,
    reason: 'invalid: a request to vanish needs a relay tag (NIP-62)',
  });
  const elsewhere = await vanishing([['relay', 'wss://other.example.com']], here);
  assert.match(elsewhere.reason, /^invalid: this request to vanish names neither this relay nor ALL_RELAYS/);
  // A gateway that could not tell its URL: only ALL_RELAYS can apply.
  assert.equal((await vanishing([['relay', here]])).ok, false);
  assert.equal(store.batches.length, 0);
  assert.equal((await vanishing([['relay', 'https://RELAY.example.com/']], here)).ok, true);
  assert.equal((await vanishing([['relay', 'ALL_RELAYS']])).ok, true);
  assert.equal(store.batches.length, 2);
  await new Promise((r) => setImmediate(r));
  assert.equal(published.length, 2);
});

test('a save covered by a request to vanish is answered blocked:', async () => {
  const { pipeline, published } = setup(
    {},
    fakeStore(() => ({ status: 'vanished' })),
  );
  assert.deepEqual(await pipeline.process(request(raw({ kind: 1 }))), {
    ok: false,
    reason: 'blocked: a request to vanish (NIP-62) covers this event',
  });
  assert.equal(published.length, 0);
});
