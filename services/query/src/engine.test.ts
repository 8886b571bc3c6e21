import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Filter } from '@nrelay/protocol';
import { InvalidQueryError } from '@nrelay/seams/query';
import { QueryInputError } from '@nrelay/store';
import { createQueryEngine, type EventReader, effectiveLimit } from './engine.js';

const limits = { defaultLimit: 3, maxLimit: 5, pageSize: 100 };

/** A fake reader: each filter's `ids` are its rows, in order; records the options it got. */
function fakeReader() {
  const calls: Array<{ filter: Filter; limit: number; viewer: unknown }> = [];
  const reader: EventReader = {
    async *query(filter, opts) {
      calls.push({ filter, limit: opts.limit, viewer: opts.viewer });
      // One row per page, so the filters' pages interleave.
      for (const id of (filter.ids ?? []).slice(0, opts.limit)) {
        await new Promise((r) => setImmediate(r));
        yield [{ id, raw: `{"id":"${id}"}` }];
      }
    },
    async count(filters) {
      return filters.length * 10;
    },
  };
  return { reader, calls };
}

test('effective limit: own limit, else the default, capped at the maximum', () => {
  assert.equal(effectiveLimit({}, limits), 3);
  assert.equal(effectiveLimit({ limit: 0 }, limits), 0);
  assert.equal(effectiveLimit({ limit: 4 }, limits), 4);
  assert.equal(effectiveLimit({ limit: 50 }, limits), 5);
  // A filter naming ids without a limit is limited by its ids, not by the default.
  assert.equal(effectiveLimit({ ids: ['a', 'b', 'c', 'd'] }, limits), 4);
  assert.equal(effectiveLimit({ ids: ['a'] }, limits), 1);
  assert.equal(effectiveLimit({ ids: ['a', 'b', 'c', 'd', 'e', 'f'] }, limits), 5);
  assert.equal(effectiveLimit({ ids: ['a', 'b', 'c', 'd'], limit: 2 }, limits), 2);
});

test('filters run concurrently, each with its own limit, and events are deduplicated', async () => {
  const { reader, calls } = fakeReader();
  const engine = createQueryEngine({ store: reader, limits });
  const out: string[] = [];
  const request = {
    v: 1 as const,
    filters: [
      { ids: ['a', 'b', 'c', 'd'], limit: 3 },
      { ids: ['c', 'e'], limit: 9 },
    ],
    viewer: { authedPubkeys: [] },
  };
  for await (const batch of engine.query(request, new AbortController().signal))
    for (const raw of batch) out.push(JSON.parse(raw).id);
  assert.deepEqual(
    calls.map((c) => c.limit),
    [3, 5],
  );
  assert.deepEqual([...out].sort(), ['a', 'b', 'c', 'e']);
  assert.equal(out.length, new Set(out).size);
  // Run one after the other, filter 1 would yield a, b, c first; `c` ahead of `b` proves the
  // second filter streamed while the first was still running.
  assert.ok(out.indexOf('c') < out.indexOf('b'), `order was ${out.join(',')}`);
});

test('an aborted request stops streaming: the iteration rejects with the reason', async () => {
  const { reader } = fakeReader();
  const engine = createQueryEngine({ store: reader, limits: { ...limits, defaultLimit: 5 } });
  const controller = new AbortController();
  const out: string[] = [];
  const request = {
    v: 1 as const,
    filters: [{ ids: ['a', 'b', 'c', 'd', 'e'] }],
    viewer: { authedPubkeys: [] },
  };
  const reason = new Error('CLOSE');
  await assert.rejects(
    (async () => {
      for await (const batch of engine.query(request, controller.signal)) {
        out.push(...batch);
        if (out.length === 2) controller.abort(reason);
      }
    })(),
    (err) => err === reason,
  );
  assert.equal(out.length, 2);
});

test('privileged kinds pass the viewer to the store; none configured passes nothing', async () => {
  const a = fakeReader();
  const withPrivacy = createQueryEngine({ store: a.reader, limits, privilegedKinds: [4] });
  const request = { v: 1 as const, filters: [{ ids: ['x'] }], viewer: { authedPubkeys: ['pk'] } };
  for await (const _ of withPrivacy.query(request, new AbortController().signal));
  assert.deepEqual(a.calls[0]?.viewer, { pubkeys: ['pk'], privilegedKinds: [4] });
  const b = fakeReader();
  for await (const _ of createQueryEngine({ store: b.reader, limits }).query(
    request,
    new AbortController().signal,
  ));
  assert.equal(b.calls[0]?.viewer, undefined);
  assert.equal(await withPrivacy.count({ ...request, filters: [{}, {}] }, new AbortController().signal), 20);
});

test('each store page is one batch; rows already sent are dropped and an emptied page yields none', async () => {
  const pages: Record<string, string[][]> = { one: [['a', 'b']], two: [['a', 'b'], ['c']] };
  const reader: EventReader = {
    async *query(filter) {
      for (const page of pages[filter.ids?.[0] ?? ''] ?? []) {
        await new Promise((r) => setImmediate(r));
        yield page.map((id) => ({ id, raw: id }));
      }
    },
    async count() {
      return 0;
    },
  };
  const engine = createQueryEngine({ store: reader, limits });
  const request = {
    v: 1 as const,
    filters: [{ ids: ['one'] }, { ids: ['two'] }],
    viewer: { authedPubkeys: [] },
  };
  const batches: Array<readonly string[]> = [];
  for await (const batch of engine.query(request, new AbortController().signal)) batches.push(batch);
  assert.deepEqual(batches, [['a', 'b'], ['c']]);
});

test("the store's refusal of a query's input (QueryInputError) is the seam's InvalidQueryError", async () => {
  const refusal = new QueryInputError('E_SEARCH_TOO_LONG', 'search longer than 256 characters');
  const reader: EventReader = {
    // biome-ignore lint/correctness/useYield: refuses before the first page
    async *query() {
      throw refusal;
    },
    async count() {
      throw refusal;
    },
  };
  const engine = createQueryEngine({ store: reader, limits });
  const request = { v: 1 as const, filters: [{ search: 'x' }], viewer: { authedPubkeys: [] } };
  const signal = new AbortController().signal;
  const invalid = (err: unknown) => err instanceof InvalidQueryError && err.message === refusal.message;
  await assert.rejects(async () => {
    for await (const _ of engine.query(request, signal));
  }, invalid);
  await assert.rejects(engine.count(request, signal), invalid);
  const failure = new Error('connection lost');
  const broken: EventReader = { ...reader, count: () => Promise.reject(failure) };
  await assert.rejects(
    createQueryEngine({ store: broken, limits }).count(request, signal),
    (err) => err === failure,
  );
});
