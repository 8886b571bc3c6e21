import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Filter, NostrEvent, RawEvent } from '@nrelay/protocol';
import { seededRandom } from '@nrelay/protocol/testing';
import type { EventStore } from '@nrelay/store';
import { pgliteBackend, type TestStore } from '@nrelay/store/testing';
import { DIFF_NOW, eventStream, PRIVILEGED_KINDS, randomFilter, VIEWERS } from './differential-fixtures.js';
import { HotWindow } from './window.js';

const DEFAULT_LIMIT = 15;
const MAX_LIMIT = 30;
const STREAM_SIZE = 900;
const FILTERS_PER_CHECK = 120;

/** What the query engine asks the store for this filter and viewer (services/query engine.ts). */
async function storeAnswer(
  store: EventStore,
  filter: Filter,
  pubkeys: readonly string[],
  now: number,
): Promise<string[]> {
  const limit = Math.min(filter.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  const viewer = { pubkeys: [...pubkeys], privilegedKinds: PRIVILEGED_KINDS };
  const out: string[] = [];
  for await (const page of store.query(filter, { limit, now, viewer }))
    for (const row of page) out.push(row.raw);
  return out;
}

/** The store's newest `n` events, as a warm-up reads them (no privacy restriction). */
async function newest(store: EventStore, n: number, now: number): Promise<RawEvent[]> {
  const out: RawEvent[] = [];
  for await (const page of store.query({}, { limit: n, now })) {
    for (const row of page) out.push({ event: JSON.parse(row.raw) as NostrEvent, raw: row.raw });
  }
  return out;
}

describe('hot window vs the store (differential, PGlite)', () => {
  const seed = Number(process.env.DIFF_SEED ?? Date.now() % 1_000_000);
  let t: TestStore;
  before(async () => {
    t = await pgliteBackend.open();
  });
  after(async () => {
    await t?.dispose();
  });

  it(`answers every filter as the store does, or not at all (DIFF_SEED=${seed})`, async (test) => {
    const rand = seededRandom(seed + 1);
    const events = eventStream(seed, STREAM_SIZE);
    const allIds = events.map((e) => e.event.id);
    const budget = 60_000 + Math.floor(rand() * 140_000);
    const window = new HotWindow({
      budgetBytes: budget,
      privilegedKinds: PRIVILEGED_KINDS,
      defaultLimit: DEFAULT_LIMIT,
      maxLimit: MAX_LIMIT,
    });
    const context = (what: string) => `DIFF_SEED=${seed}: ${what}`;
    const stats = { asked: 0, answered: 0, nonEmpty: 0, kept: 0, belowFloor: 0, warmed: 0, vanishes: 0 };
    let now = DIFF_NOW;
    let lowest = Number.POSITIVE_INFINITY;
    let highest = 0;

    /** Saves events[from, to) in random batches; feeds the window what the store stored. */
    async function save(from: number, to: number): Promise<void> {
      for (let i = from; i < to; ) {
        const batch = events.slice(i, Math.min(to, i + 1 + Math.floor(rand() * 15)));
        i += batch.length;
        const outcomes = await t.store.save(batch);
        batch.forEach(({ event, raw }, j) => {
          lowest = Math.min(lowest, event.created_at);
          highest = Math.max(highest, event.created_at);
          if (outcomes[j]?.status !== 'stored') return;
          const outcome = window.add(event, raw);
          if (window.state === 'cold') return;
          // The store stored it, so the window must not refuse it.
          assert.ok(
            outcome === 'kept' || outcome === 'below-floor' || outcome === 'vanish',
            context(`add ${event.id}: ${outcome}`),
          );
          if (outcome === 'kept') stats.kept++;
          else if (outcome === 'vanish') stats.vanishes++;
          else stats.belowFloor++;
          assert.ok(window.bytes <= budget, context(`${window.bytes} bytes over the budget ${budget}`));
        });
      }
    }

    async function warm(): Promise<void> {
      const n = 20 + Math.floor(rand() * 280);
      const batch = await newest(t.store, n, now);
      window.warm(batch, { complete: batch.length < n });
      stats.warmed += window.size;
      assert.ok(window.bytes <= budget, context('warm-up over the budget'));
    }

    async function check(): Promise<void> {
      for (let k = 0; k < FILTERS_PER_CHECK; k++) {
        const filter = randomFilter(rand, allIds, lowest - 5, highest + 2);
        for (const viewer of VIEWERS) {
          stats.asked++;
          const answer = window.answer(filter, viewer, now);
          if (answer === undefined) continue;
          stats.answered++;
          if (answer.length > 0) stats.nonEmpty++;
          const expected = await storeAnswer(t.store, filter, viewer.pubkeys, now);
          assert.deepEqual(
            answer,
            expected,
            context(
              `${JSON.stringify(filter)} for ${JSON.stringify(viewer.pubkeys)} at now=${now}, floor ${window.floor}`,
            ),
          );
        }
      }
      now += 3;
    }

    const warmAt = Math.floor(STREAM_SIZE * (0.2 + rand() * 0.3));
    await save(0, warmAt);
    await warm();
    await check();
    const step = Math.floor((STREAM_SIZE - warmAt) / 3);
    await save(warmAt, warmAt + step);
    await check();
    window.markCold('differential: re-warm');
    assert.equal(window.answer({}, { pubkeys: [] }, now), undefined);
    await save(warmAt + step, warmAt + 2 * step);
    await warm();
    await check();
    await save(warmAt + 2 * step, STREAM_SIZE);
    await check();

    const share = stats.answered / stats.asked;
    const summary =
      `DIFF_SEED=${seed} budget ${budget}: answered ${stats.answered}/${stats.asked} ` +
      `(${(share * 100).toFixed(1)} %, ${stats.nonEmpty} non-empty); fed ${stats.kept} kept, ` +
      `${stats.belowFloor} below the floor, ${stats.vanishes} requests to vanish, ${stats.warmed} warmed; now ${window.size} events, ` +
      `${window.bytes} bytes, floor ${window.floor}`;
    test.diagnostic(summary);
    assert.ok(window.floor > lowest, context(`no eviction happened: ${summary}`));
    assert.ok(share >= 0.25, context(`too few filters answered: ${summary}`));
    assert.ok(stats.nonEmpty >= stats.answered / 4, context(`answers mostly empty: ${summary}`));
  });
});
