import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Filter, matchFilter, type RawEvent } from '@nrelay/protocol';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { type HotWindowQueryStats, withHotWindow } from './query-client.js';
import { HotWindow } from './window.js';
import { ALICE, BOB, CAROL, ev, idsOf, NOW, OPTIONS } from './window-fixtures.js';

/**
 * The query service as the decorator sees it: every filter matched naively over an array,
 * newest first within its limit, no event twice, one event per batch (so a page of repeats
 * is possible), an abort honoured after each batch. Records what it was asked.
 */
class FakeInner implements QueryClient {
  readonly queries: QueryRequest[] = [];
  readonly counts: QueryRequest[] = [];
  closes = 0;

  constructor(readonly rows: readonly RawEvent[]) {}

  async *query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    signal.throwIfAborted();
    this.queries.push(request);
    const sent = new Set<string>();
    for (const filter of request.filters) {
      for (const { event, raw } of this.#matches(filter).slice(0, filter.limit ?? OPTIONS.defaultLimit)) {
        if (sent.has(event.id)) continue;
        sent.add(event.id);
        yield [raw];
        signal.throwIfAborted();
      }
    }
  }

  async count(request: QueryRequest): Promise<number> {
    this.counts.push(request);
    return 42;
  }

  async items(): Promise<Uint8Array> {
    return new Uint8Array(0);
  }

  async close(): Promise<void> {
    this.closes++;
  }

  #matches(filter: Filter): RawEvent[] {
    return this.rows
      .filter((r) => matchFilter(filter, r.event))
      .sort((a, b) => b.event.created_at - a.event.created_at || (a.event.id < b.event.id ? -1 : 1));
  }
}

const live = new AbortController().signal;
const request = (filters: Filter[], authedPubkeys: string[] = []): QueryRequest => ({
  v: 1,
  filters,
  viewer: { authedPubkeys },
});

/** The decorator over a window warmed with `held` (complete or not) and an inner store of `stored`. */
function setup(held: RawEvent[], stored: RawEvent[], complete: boolean) {
  const window = new HotWindow(OPTIONS);
  window.warm(held, { complete });
  const inner = new FakeInner(stored);
  const stats: HotWindowQueryStats = { hits: 0, misses: 0 };
  return { window, inner, stats, client: withHotWindow(inner, window, stats, { now: () => NOW }) };
}

/** Every batch of a query (each checked non-empty). */
async function batches(client: QueryClient, req: QueryRequest, signal = live): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of client.query(req, signal)) {
    assert.ok(batch.length > 0, 'batches are never empty');
    out.push([...batch]);
  }
  return out;
}

const all = async (client: QueryClient, req: QueryRequest) => idsOf((await batches(client, req)).flat());
const ids = (...events: RawEvent[]) => events.map((e) => e.event.id);

const a = ev({ created_at: 30 });
const b = ev({ created_at: 20, pubkey: BOB });
const c = ev({ created_at: 10, kind: 7 });
const d = ev({ created_at: 5 });

describe('withHotWindow: where each filter is answered', () => {
  it('a filter the window answers never reaches the inner client; hits are counted', async () => {
    const { client, inner, stats } = setup([a, b, c], [a, b, c], true);
    assert.deepEqual(await all(client, request([{ kinds: [1] }])), ids(a, b));
    assert.deepEqual(
      await all(client, request([{ kinds: [1] }, { authors: [BOB] }, { kinds: [7] }])),
      ids(a, b, c),
    );
    assert.deepEqual(inner.queries, []);
    assert.deepEqual(stats, { hits: 4, misses: 0 });
  });

  it('a filter the window cannot answer reaches the inner client alone; results merge without repeats', async () => {
    const { client, inner, stats, window } = setup([a, b, c, d], [a, b, c, d], false);
    assert.equal(window.floor, 6, 'the oldest second was dropped: the window holds a, b, c');
    const viewer = [ALICE];
    const req = request([{ ids: [a.event.id] }, { kinds: [1] }], viewer);
    const got = await batches(client, req);
    assert.deepEqual(idsOf(got[0]), ids(a), 'the window answer comes first');
    assert.deepEqual(idsOf(got.flat()), ids(a, b, d), 'a, matched by both filters, once');
    assert.deepEqual(inner.queries, [request([{ kinds: [1] }], viewer)]);
    assert.deepEqual(stats, { hits: 1, misses: 1 });
  });

  it('when no filter is answered, the request goes to the inner client whole', async () => {
    const { client, inner, stats } = setup([a, b, c, d], [a, b, c, d], false);
    const req = request([{ kinds: [1] }, { until: 8 }]);
    assert.deepEqual(await all(client, req), ids(a, b, d));
    assert.deepEqual(inner.queries, [req]);
    assert.deepEqual(stats, { hits: 0, misses: 2 });
  });

  it('a cold window and an unrestricted request pass through whole', async () => {
    const cold = setup([], [a, b], true);
    cold.window.markCold('test');
    const req = request([{ kinds: [1] }, { ids: [a.event.id] }]);
    assert.deepEqual(await all(cold.client, req), ids(a, b));
    assert.deepEqual(cold.inner.queries, [req]);
    assert.deepEqual(cold.stats, { hits: 0, misses: 2 });
    const hot = setup([a], [a, b], true);
    const internal: QueryRequest = {
      v: 1,
      filters: [{ limit: 10 }],
      viewer: { authedPubkeys: [], unrestricted: true },
    };
    assert.deepEqual(await all(hot.client, internal), ids(a, b), 'the store, not the window');
    assert.deepEqual(hot.inner.queries, [internal]);
    assert.deepEqual(hot.stats, { hits: 0, misses: 1 });
  });

  it('count goes to the inner client, even for a filter the window answers', async () => {
    const { client, inner, stats } = setup([a], [a], true);
    const req = request([{ kinds: [1] }]);
    assert.equal(await client.count(req, live), 42);
    assert.deepEqual(inner.counts, [req]);
    assert.deepEqual(stats, { hits: 0, misses: 0 });
  });
});

describe('withHotWindow: abort, close and privacy', () => {
  it('an abort before the first step rejects with signal.reason, and nothing is asked', async () => {
    const { client, inner } = setup([a], [a], true);
    const reason = new Error('client went away');
    for (const filters of [[{ kinds: [1] }], [{ until: 1 }]]) {
      const iterator = client.query(request(filters), AbortSignal.abort(reason))[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), (err) => err === reason);
    }
    assert.deepEqual(inner.queries, []);
  });

  it('an abort after the first batch rejects with signal.reason at the next step', async () => {
    type Window = 'complete' | 'incomplete' | 'cold';
    const cases: Array<[name: string, held: Window, filters: Filter[]]> = [
      ['all from the window, one filter', 'complete', [{ kinds: [1] }]],
      ['all from the window, merged', 'complete', [{ kinds: [1] }, { kinds: [7] }]],
      ['the window, then the inner client', 'incomplete', [{ ids: [a.event.id] }, { until: 25 }]],
      ['the inner client only (cold)', 'cold', [{ kinds: [1] }]],
    ];
    for (const [name, held, filters] of cases) {
      const { client, window } = setup([a, b, c], [a, b, c, d], held === 'complete');
      if (held === 'cold') window.markCold('test');
      const controller = new AbortController();
      const iterator = client.query(request(filters), controller.signal)[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(first.done, false, name);
      const reason = new Error(`stop: ${name}`);
      controller.abort(reason);
      await assert.rejects(iterator.next(), (err) => err === reason, name);
    }
  });

  it('an abort while the inner client streams, after the window batch, rejects with signal.reason', async () => {
    const { client } = setup([a, b, c], [a, b, c, d], false);
    const controller = new AbortController();
    const iterator = client
      .query(request([{ ids: [a.event.id] }, { kinds: [1, 7] }]), controller.signal)
      [Symbol.asyncIterator]();
    assert.deepEqual(idsOf((await iterator.next()).value), ids(a), 'from the window');
    assert.deepEqual(idsOf((await iterator.next()).value), ids(b), 'from the inner client');
    const reason = new Error('stop');
    controller.abort(reason);
    await assert.rejects(iterator.next(), (err) => err === reason);
  });

  it('after close(), query and count reject and the inner client was closed', async () => {
    const { client, inner } = setup([a], [a], true);
    await client.close();
    assert.equal(inner.closes, 1);
    await assert.rejects(batches(client, request([{ kinds: [1] }])), /closed/);
    await assert.rejects(client.count(request([{ kinds: [1] }]), live), /closed/);
    assert.deepEqual([inner.queries, inner.counts], [[], []]);
  });

  it('privacy: a kind-4 event reaches only its author or a p-tagged viewer through the window', async () => {
    const dm = ev({ kind: 4, created_at: 40, pubkey: ALICE, tags: [['p', BOB]] });
    const { client, inner } = setup([dm, a], [dm, a], true);
    const seen = async (viewer: string[]) => all(client, request([{ kinds: [4] }, { since: 35 }], viewer));
    assert.deepEqual(await seen([]), [], 'anonymous');
    assert.deepEqual(await seen([CAROL]), [], 'a third party');
    assert.deepEqual(await seen([BOB]), ids(dm), 'the p-tagged recipient');
    assert.deepEqual(await seen([ALICE]), ids(dm), 'the author');
    assert.deepEqual(await seen([CAROL, BOB]), ids(dm), 'one of several authenticated pubkeys');
    assert.deepEqual(await all(client, request([{ ids: [dm.event.id] }], [CAROL])), []);
    assert.deepEqual(inner.queries, [], 'all proven from the window');
  });

  it('waits for the fence before answering: what it delivers is in the answer; a failed fence goes to inner', async () => {
    const window = new HotWindow(OPTIONS);
    window.warm([a], { complete: true });
    const late = ev({ created_at: 50 });
    const inner = new FakeInner([a, late]);
    const stats: HotWindowQueryStats = { hits: 0, misses: 0 };
    let fenced = true;
    // The fanout message of an event OK'd before the REQ arrives while the fence is awaited.
    const fence = async () => {
      window.add(late.event, late.raw);
      return fenced;
    };
    const client = withHotWindow(inner, window, stats, { fence, now: () => NOW });
    assert.deepEqual(await all(client, request([{ kinds: [1] }])), ids(late, a));
    assert.deepEqual([inner.queries.length, stats.hits], [0, 1]);
    fenced = false;
    assert.deepEqual(await all(client, request([{ kinds: [1] }])), ids(late, a));
    assert.deepEqual([inner.queries.length, stats.misses], [1, 1], 'not fenced: the query service answers');
  });
});
