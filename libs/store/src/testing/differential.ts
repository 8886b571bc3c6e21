import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Filter, NostrEvent, RawEvent } from '@nrelay/protocol';
import { seededRandom } from '@nrelay/protocol/testing';
import fc from 'fast-check';
import type { StoreViewer } from '../types.js';
import type { TestBackend, TestStore } from './backends.js';
import { hex, ids } from './events.js';
import { StoreModel } from './model.js';

const NOW = 2_000_000_000;
const PUBKEYS = [1, 2, 3, 4].map((n) => hex(n, 'f'));
const KINDS = [1, 1, 1, 7, 0, 3, 10002, 30023, 30023, 5, 1111, 1059];
const WORDS = ['a', 'b', 'c', 'nostr'];
const DS = ['', 'x', 'y'];

/**
 * Events from few pubkeys, kinds and tag values with many created_at ties: replaceable and
 * addressable versions, deletions by `e` and `a` (some of others' events, some of events that
 * arrive later), expirations around NOW, gift wraps and a few NIP-62 requests to vanish.
 */
export function dataset(seed: number, size: number): NostrEvent[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const eventIds = Array.from({ length: size }, (_, i) => hex(Math.floor(rand() * 0xfffff) * 4096 + i));
  return eventIds.map((id) => {
    const pubkey = pick(PUBKEYS);
    // NIP-62 requests are rare: each one empties a quarter of the pubkeys' history.
    const kind = rand() < 0.01 ? 62 : pick(KINDS);
    const tags: string[][] = [];
    const n = Math.floor(rand() * 4);
    for (let j = 0; j < n; j++) {
      const r = rand();
      if (kind === 5) {
        tags.push(
          r < 0.6 ? ['e', pick(eventIds)] : ['a', `${pick([0, 3, 30023])}:${pick(PUBKEYS)}:${pick(DS)}`],
        );
      } else if (r < 0.25) tags.push(['e', pick(eventIds)]);
      else if (r < 0.45) tags.push(['p', pick(PUBKEYS)]);
      else if (r < 0.7) tags.push(['t', pick(WORDS)]);
      else if (r < 0.8) tags.push(['expiration', String(NOW + Math.floor(rand() * 10) - 5)]);
      else tags.push(['d', pick(DS)]);
    }
    if (kind === 30023 && rand() < 0.8) tags.push(['d', pick(DS)]);
    if (kind === 1059) tags.push(['p', pick(PUBKEYS)]);
    return {
      id,
      pubkey,
      kind,
      created_at: 1000 + Math.floor(rand() * 25),
      tags,
      content: '',
      sig: '0'.repeat(128),
    };
  });
}

/** Random filters over the values of a dataset. */
function filterArb(pool: NostrEvent[]): fc.Arbitrary<Filter> {
  const idValues = pool.map((e) => e.id).concat([hex(0xfeed)]);
  const maybe = <T>(arb: fc.Arbitrary<T>, weight: number) =>
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 10 - weight }, { arbitrary: arb, weight });
  const list = <T>(values: readonly T[], max: number) =>
    fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: max });
  return fc
    .record({
      ids: maybe(list(idValues, 8), 1),
      authors: maybe(list(PUBKEYS, 3), 4),
      kinds: maybe(list([...new Set(KINDS)], 3), 4),
      since: maybe(fc.integer({ min: 995, max: 1030 }), 3),
      until: maybe(fc.integer({ min: 995, max: 1030 }), 3),
      '#e': maybe(list(idValues, 4), 2),
      '#p': maybe(list(PUBKEYS, 2), 2),
      '#t': maybe(list(WORDS, 3), 3),
      '#d': maybe(list(DS, 2), 1),
    })
    .map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Filter);
}

/**
 * No viewer (no privileged kinds), or one with privileged kinds among the dataset's (7 and
 * 1111), anonymous or authenticated as some of its pubkeys.
 */
function viewerArb(): fc.Arbitrary<StoreViewer | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc
      .subarray(PUBKEYS, { maxLength: 2 })
      .map((pubkeys) => ({ pubkeys, privilegedKinds: [7, 1111] }) satisfies StoreViewer),
  );
}

/** The SQL engine against `matchFilter` over the model, on random events, filters and viewers. */
export function differentialSuite(backend: TestBackend): void {
  describe(`differential: store vs matchFilter (${backend.name})`, () => {
    const seed = Number(process.env.DIFF_SEED ?? Date.now() % 1_000_000);
    let t: TestStore;
    const model = new StoreModel();
    let events: NostrEvent[] = [];
    before(async () => {
      t = await backend.open();
      events = dataset(seed, 400);
    });
    after(async () => {
      await t?.dispose();
    });

    it(`saves like the model (DIFF_SEED=${seed})`, async () => {
      const rand = seededRandom(seed + 1);
      for (let i = 0; i < events.length; ) {
        const batch = events.slice(i, i + 1 + Math.floor(rand() * 30));
        i += batch.length;
        const raws: RawEvent[] = batch.map((event) => ({ event, raw: JSON.stringify(event) }));
        const got = (await t.store.save(raws)).map((o) => o.status);
        assert.deepEqual(
          got,
          batch.map((e) => model.save(e)),
          `batch ending at ${i}`,
        );
      }
      assert.equal(await t.store.count([{}], { now: 0 }), model.events.size);
    });

    it(`queries like matchFilter (DIFF_SEED=${seed})`, async () => {
      const property = fc.asyncProperty(
        filterArb(events),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        viewerArb(),
        async (filter, limit, pageSize, viewer) => {
          const expected = model.query(filter, limit, NOW, viewer);
          const opts = viewer ? { viewer } : {};
          assert.deepEqual(await ids(t.store, filter, { limit, pageSize, now: NOW, ...opts }), expected);
          const all = model.query(filter, Number.MAX_SAFE_INTEGER, NOW, viewer);
          assert.equal(await t.store.count([filter], { now: NOW, ...opts }), all.length);
        },
      );
      await fc.assert(property, { numRuns: 300, seed });
    });
  });
}
