import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createMemoryAccessChangeBus } from '@nrelay/access';
import type { RawEvent } from '@nrelay/protocol';
import { createMemoryFanoutBus, type FanoutContinuity } from '@nrelay/seams/fanout';
import { estimatedCost } from './contents.js';
import { HotWindowFeed, type HotWindowFeedOptions } from './feed.js';
import { FakeStore, until } from './feed-fixtures.js';
import { HotWindow } from './window.js';
import { ANON, ev, NOW, OPTIONS } from './window-fixtures.js';

type Setup = Partial<HotWindowFeedOptions> & { blocked?: boolean; failures?: number };

/**
 * A started feed over a fake store (its first read held open if `blocked`, its first `failures`
 * reads failing), a memory fanout whose continuity the test tells and a memory access bus.
 */
function setup(t: TestContext | undefined, events: RawEvent[], options: Setup = {}) {
  const { blocked = false, failures = 0, ...feedOptions } = options;
  const store = new FakeStore();
  store.add(...events);
  if (blocked) store.block();
  store.failNext = failures;
  const fanout = createMemoryFanoutBus();
  const watchers = new Set<(state: FanoutContinuity) => void>();
  const access = createMemoryAccessChangeBus();
  const budgetBytes = feedOptions.budgetBytes ?? OPTIONS.budgetBytes;
  const window = new HotWindow({ ...OPTIONS, budgetBytes });
  const logged: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const log = (level: string) => (obj: object, msg?: string) =>
    logged.push({ level, obj: obj as Record<string, unknown>, msg });
  const watchContinuity = (listener: (state: FanoutContinuity) => void) => {
    watchers.add(listener);
    return () => watchers.delete(listener);
  };
  const feed = new HotWindowFeed({
    retryMs: { min: 10, max: 40 },
    ...feedOptions,
    budgetBytes,
    window,
    query: store,
    fanout: { subscribe: (handler) => fanout.subscribe(handler), watchContinuity },
    accessChanges: access,
    logger: { info: log('info'), warn: log('warn') },
  });
  t?.after(() => feed.close());
  feed.start();
  /** Stores the event (unless told not to), then publishes it, as ingest does. */
  const publish = async (e: RawEvent, stored = true) => {
    if (stored) store.add(e);
    await fanout.publish({ v: 1, event: e.event, raw: e.raw, acceptedAt: Date.now() }, live);
  };
  const tell = (state: FanoutContinuity) => {
    for (const w of watchers) w(state);
  };
  const acl = () => access.publish({ v: 1, what: 'acl' });
  /** Resolves once a warm-up finished and the window is hot. */
  const warm = () => until(() => !feed.warming && window.state === 'hot', 'the window to be warm');
  const reads = (n: number) => until(() => store.requests.length >= n, `${n} reads`);
  const retries = () => logged.filter((l) => l.level === 'warn').map((l) => l.obj.retryInMs);
  return { store, window, feed, logged, access, watchers, publish, tell, acl, warm, reads, retries };
}

const live = new AbortController().signal;
const ids = (events: readonly RawEvent[]) => events.map((e) => e.event.id);
const idsIn = (answer: readonly string[] | undefined) => answer?.map((raw) => JSON.parse(raw).id);
const at = (...times: number[]) => times.map((created_at) => ev({ created_at }));

describe('HotWindowFeed: warm-up', () => {
  it('start warms from an unrestricted read (complete under a page), then adds what is published', async (t) => {
    const events = [...at(10, 20), ev({ created_at: 15, kind: 4 })];
    const f = setup(t, events);
    assert.deepEqual([f.feed.warming, f.watchers.size], [true, 1], 'warming, watching continuity');
    await f.warm();
    assert.deepEqual([f.window.floor, f.window.size], [Number.NEGATIVE_INFINITY, 3], 'kind 4 is held too');
    const viewer = { authedPubkeys: [], unrestricted: true };
    assert.deepEqual(f.store.requests, [{ v: 1, filters: [{ limit: 1_000_000_000 }], viewer }]);
    assert.deepEqual([f.feed.stats.warmups, f.feed.stats.colds], [1, 0]);
    const next = ev({ created_at: 21 });
    await f.publish(next);
    await f.publish(ev({ kind: 20001 }));
    assert.deepEqual(idsIn(f.window.answer({}, ANON, NOW)), ids([next, events[1]!, events[0]!]));
  });

  it('one streaming read, not capped by MAX_LIMIT: all of 10 events in batches, complete', async (t) => {
    const f = setup(t, at(100, 101, 102, 103, 104, 105, 106, 107, 108, 109));
    await f.warm();
    assert.deepEqual([f.window.size, f.window.floor], [10, Number.NEGATIVE_INFINITY]);
    assert.deepEqual([f.store.requests.length, f.store.abortedReads], [1, 0]);
  });

  it('a budget smaller than the store: incomplete, the floor rule holds, bytes within the budget', async (t) => {
    const content = 'x'.repeat(200);
    const events = Array.from({ length: 10 }, (_, i) => ev({ created_at: 1000 + i, content }));
    const budgetBytes = Math.floor(estimatedCost(events[0]!) * 4.5);
    const f = setup(t, events, { budgetBytes });
    await f.warm();
    const { floor, size, bytes } = f.window;
    assert.ok(Number.isFinite(floor) && floor > 1000, `the floor (${floor}) is above the oldest event`);
    assert.ok(bytes <= budgetBytes && size > 0 && size < 10, `holds some (${size}) within the budget`);
    assert.deepEqual([f.store.requests.length, f.store.abortedReads], [1, 1], 'stopped once full');
    const above = events.filter((e) => e.event.created_at >= floor).reverse();
    assert.deepEqual(idsIn(f.window.answer({ since: floor }, ANON, NOW)), ids(above), 'from the floor up');
    assert.equal(f.window.answer({}, ANON, NOW), undefined, 'cannot prove the whole store');
  });

  it('a budget cut inside one second drops that second: hot, incomplete, unproven filters unanswered', async (t) => {
    const newest = ev({ created_at: 200 });
    const crowded = at(100, 100, 100, 100, 100);
    const f = setup(t, [newest, ...crowded], { budgetBytes: Math.floor(estimatedCost(newest) * 3.5) });
    await f.warm();
    assert.deepEqual([f.window.state, f.window.floor, f.window.size], ['hot', 101, 1]);
    for (const filter of [{ kinds: [1] }, { since: 100 }])
      assert.equal(f.window.answer(filter, ANON, NOW), undefined);
    assert.deepEqual(f.window.answer({ limit: 1 }, ANON, NOW), [newest.raw], 'a filled limit is proven');
  });

  it('what is published during a blocked warm-up is held, then applied; snapshot repeats are no divergence', async (t) => {
    const [old, profile] = [ev({ created_at: 10 }), ev({ kind: 0, created_at: 30 })];
    const f = setup(t, [old!, profile!], { blocked: true });
    await f.reads(1);
    const fresh = ev({ created_at: 40 });
    await f.publish(fresh);
    await f.publish(old, false);
    await f.publish(ev({ kind: 0, created_at: 20 }), false);
    assert.deepEqual([f.window.state, f.feed.warming], ['cold', true], 'nothing applied while warming');
    f.store.open();
    await f.warm();
    assert.deepEqual(idsIn(f.window.answer({}, ANON, NOW)), ids([fresh, profile, old]));
    assert.deepEqual([f.feed.stats.colds, f.store.requests.length], [0, 1], 'a repeat is expected there');
    assert.equal(f.logged.find((l) => l.msg === 'hot window warm')?.obj.heldDuringWarmup, 3);
  });
});

describe('HotWindowFeed: cold and warm again', () => {
  it('an acl (or events) access change marks cold and re-warms; a follows change does not', async (t) => {
    const f = setup(t, at(10));
    await f.warm();
    await f.access.publish({ v: 1, what: 'follows' });
    assert.deepEqual([f.window.state, f.store.requests.length], ['hot', 1]);
    f.store.add(...at(5));
    await f.acl();
    assert.match(`${f.window.state}: ${f.window.coldReason}`, /^cold: .*access-control/);
    await f.warm();
    const { colds, warmups } = f.feed.stats;
    assert.deepEqual([f.store.requests.length, colds, warmups, f.window.size], [2, 1, 2, 2], 'read again');
    await f.access.publish({ v: 1, what: 'events' });
    assert.deepEqual([f.window.state, f.store.requests.length], ['cold', 3], 'stored outside ingest');
  });

  it('continuity broken: cold, no read until restored, then a re-warm; broken again aborts a warm-up', async (t) => {
    const f = setup(t, at(10));
    await f.warm();
    f.tell('broken');
    assert.deepEqual([f.window.state, f.feed.warming, f.feed.stats.colds], ['cold', false, 1]);
    await f.publish(ev({ created_at: 11 }));
    await f.acl();
    assert.deepEqual([f.window.state, f.store.requests.length], ['cold', 1], 'no read during the gap');
    f.store.block();
    f.tell('restored');
    await f.reads(2);
    f.tell('broken');
    assert.deepEqual([f.store.abortedReads, f.feed.warming, f.feed.stats.colds], [1, false, 2]);
    f.store.open();
    f.tell('restored');
    await f.warm();
    const { warmupFailures } = f.feed.stats;
    assert.deepEqual([f.store.requests.length, f.window.size, warmupFailures], [3, 2, 0], 'not a failure');
  });

  it('continuity restored without broken first (a drop before start) still marks cold and re-warms', async (t) => {
    const f = setup(t, at(10));
    await f.warm();
    f.store.block();
    f.tell('restored');
    assert.deepEqual([f.window.state, f.feed.warming, f.feed.stats.colds], ['cold', true, 1]);
    f.store.open();
    await f.warm();
    assert.equal(f.store.requests.length, 2);
  });

  it('an add the window refuses (an older kind 0 version) marks it cold and re-warms', async (t) => {
    const newer = ev({ kind: 0, created_at: 50 });
    const f = setup(t, [newer]);
    await f.warm();
    await f.publish(ev({ kind: 0, created_at: 40 }), false);
    assert.match(`${f.window.state}: ${f.window.coldReason}`, /^cold: .*replaced-older/);
    await f.warm();
    const held = idsIn(f.window.answer({}, ANON, NOW));
    assert.deepEqual([f.feed.stats.colds, f.store.requests.length, held], [1, 2, [newer.event.id]]);
  });

  it('a failed warm-up is retried after a doubling backoff, reset by a success', async (t) => {
    const f = setup(t, at(10), { retryMs: { min: 10, max: 40 }, failures: 4 });
    await f.warm();
    assert.deepEqual([f.feed.stats.warmupFailures, f.feed.stats.warmups, f.store.requests.length], [4, 1, 5]);
    assert.deepEqual(f.retries(), [10, 20, 40, 40]);
    const { readAt } = f.store;
    const early = readAt.slice(1).map((ms, i) => ms - readAt[i]! - Number(f.retries()[i]));
    const waited = early.every((ms) => ms >= -2);
    assert.ok(waited, `each retry waited its backoff (${early} ms more)`);
    f.store.failNext = 1;
    await f.acl();
    await f.warm();
    assert.deepEqual(f.retries(), [10, 20, 40, 40, 10]);
  });

  it('too many events held during a warm-up restart it', async (t) => {
    const f = setup(t, at(1), { maxHeld: 2, blocked: true });
    await f.reads(1);
    for (const e of at(2, 3)) await f.publish(e);
    assert.equal(f.store.requests.length, 1, 'two held are within maxHeld');
    await f.publish(ev({ created_at: 4 }));
    assert.deepEqual([f.store.requests.length, f.store.abortedReads, f.feed.stats.colds], [2, 1, 1]);
    f.store.open();
    await f.warm();
    assert.deepEqual([f.window.size, f.feed.stats.warmupFailures], [4, 0], 'the new read has them all');
  });

  it('close(): the window is cold, no more reads or adds; a warm-up is aborted, a retry never comes', async () => {
    const f = setup(undefined, at(10));
    await f.warm();
    f.feed.close();
    assert.deepEqual([f.window.state, f.watchers.size], ['cold', 0]);
    await f.publish(ev());
    await f.acl();
    f.feed.markCold('after close');
    f.feed.start();
    assert.deepEqual([f.store.requests.length, f.window.state, f.window.size], [1, 'cold', 0]);
    const held = setup(undefined, at(10), { blocked: true });
    await held.reads(1);
    held.feed.close();
    held.store.open();
    assert.deepEqual([held.store.abortedReads, held.feed.warming, held.window.state], [1, false, 'cold']);
    const failing = setup(undefined, at(10), { retryMs: { min: 10, max: 10 }, failures: 1 });
    await until(() => failing.feed.stats.warmupFailures === 1, 'the failure');
    failing.feed.close();
    // Timers fire in due order: once this one has, the feed's retry (due earlier) would have.
    await new Promise((r) => setTimeout(r, 15));
    assert.deepEqual([failing.store.requests.length, failing.window.state], [1, 'cold']);
  });
});
