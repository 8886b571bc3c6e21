import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Filter } from '@nrelay/protocol';
import { QueryInputError } from '../query-input.js';
import type { QueryOptions } from '../types.js';
import type { TestBackend, TestStore } from './backends.js';
import { ev, hex, ids } from './events.js';

/** The pages of a query, as arrays of raw byte sizes. */
async function pageSizes(t: TestStore, filter: Filter, opts: Partial<QueryOptions>): Promise<number[][]> {
  const pages: number[][] = [];
  for await (const page of t.store.query(filter, { limit: 1000, ...opts }))
    pages.push(page.map((row) => Buffer.byteLength(row.raw)));
  return pages;
}

const WORDS_12000 = Array(12_000).fill('word').join(' ');

/**
 * What one query may cost (issue 10): pages bounded by bytes as well as rows, search input
 * bounded before it reaches the database, and errors that blame the query classified as such.
 */
export function boundsSuite(backend: TestBackend): void {
  describe(`event store bounds (${backend.name})`, () => {
    let t: TestStore;
    const pk = hex(0xb16, 'f0');
    const big = 40_000;
    before(async () => {
      t = await backend.open();
      // 30 events of about 40 KB (a few small ones between), tagged and searchable alike.
      const events = Array.from({ length: 30 }, (_, i) =>
        ev({
          pubkey: pk,
          kind: i % 2 === 0 ? 1 : 30023 + (i % 3),
          created_at: 1_000 + (i % 7),
          tags: [
            ['t', `big${i % 2}`],
            ['d', `d${i}`],
          ],
          content: `needle ${i % 5 === 0 ? 'small' : 'x'.repeat(big)}`,
        }),
      );
      await t.store.save(events);
    });
    after(async () => {
      await t?.dispose();
    });

    const shapes: Array<[string, Filter]> = [
      ['one author', { authors: [pk] }],
      ['author lanes', { authors: [pk, hex(1, 'f1')], kinds: [1, 30023, 30024, 30025] }],
      ['kind lanes', { kinds: [1, 30023, 30024, 30025] }],
      ['one tag value', { '#t': ['big0'] }],
      ['tag values', { '#t': ['big0', 'big1'] }],
      ['time', { since: 0 }],
      ['search', { search: 'needle' }],
    ];

    for (const [name, filter] of shapes) {
      it(`a page holds at most pageMaxBytes plus one event, results unchanged: ${name}`, async () => {
        const expected = await ids(t.store, filter, { pageSize: 500, pageMaxBytes: 1 << 30 });
        assert.ok(expected.length >= 15, `${name}: ${expected.length} results`);
        for (const pageMaxBytes of [1, 100_000, 250_000]) {
          for (const pageSize of [2, 7, 500]) {
            const opts = { pageSize, pageMaxBytes };
            assert.deepEqual(
              await ids(t.store, filter, opts),
              expected,
              `${name} ${pageMaxBytes}/${pageSize}`,
            );
            const pages = await pageSizes(t, filter, opts);
            for (const page of pages) {
              assert.ok(page.length >= 1 && page.length <= pageSize);
              // The rows before the last one stay under the budget.
              const before = page.slice(0, -1).reduce((a, b) => a + b, 0);
              assert.ok(before < pageMaxBytes, `${name}: ${before} bytes before the last row of a page`);
            }
          }
        }
        const limited = await ids(t.store, filter, { limit: 5, pageSize: 3, pageMaxBytes: 50_000 });
        assert.deepEqual(limited, expected.slice(0, 5));
      });
    }

    it('one event larger than the budget is a page of its own', async () => {
      const pages = await pageSizes(t, { authors: [pk], kinds: [1] }, { pageMaxBytes: 1024 });
      assert.ok(pages.length >= 10);
      for (const page of pages) if (page[0]! > 1024) assert.equal(page.length, 1);
    });

    it('refuses a search over its bounds with QueryInputError, before the database sees it', async () => {
      const refused = (err: unknown) => err instanceof QueryInputError && err.code === 'E_SEARCH_TOO_LONG';
      await assert.rejects(ids(t.store, { search: WORDS_12000 }), refused);
      await assert.rejects(t.store.count([{ search: WORDS_12000 }]), refused);
      const narrow = { maxSearchLength: 100, maxSearchTerms: 2 };
      await assert.rejects(ids(t.store, { search: 'needle a b' }, { search: narrow }), refused);
      await assert.rejects(t.store.count([{ search: 'a,b,c' }], { search: narrow }), refused);
      // Extension tokens are no terms; the store keeps answering.
      assert.equal((await ids(t.store, { search: 'needle include:spam' }, { search: narrow })).length, 30);
      assert.equal(await t.store.count([{ search: 'needle' }]), 30);
    });

    it('a maximal allowed search (16 terms, 256 characters) is fast', async () => {
      const terms = Array.from({ length: 16 }, (_, i) => `needle${'q'.repeat(4)}${i}`);
      const search = terms.join(' or ');
      assert.ok(search.length <= 256);
      const started = performance.now();
      assert.deepEqual(await ids(t.store, { search }), []);
      const ors = Array(16).fill('needle').join(' or ');
      assert.equal((await ids(t.store, { search: ors })).length, 30);
      const ms = performance.now() - started;
      console.log(`  two maximal searches on ${backend.name}: ${ms.toFixed(0)} ms`);
      assert.ok(ms < 5_000, `${ms} ms`);
    });

    if (backend.name === 'postgres') {
      it('a search too deep for Postgres is a QueryInputError (SQLSTATE 54001), not a failure', async () => {
        const words = Array(40_000).fill('word').join(' ');
        const loose = { maxSearchLength: 1 << 20, maxSearchTerms: 1 << 20 };
        await assert.rejects(
          ids(t.store, { search: words }, { search: loose }),
          (err: unknown) => err instanceof QueryInputError && err.code === 'E_QUERY_TOO_COMPLEX',
        );
        assert.equal(await t.store.count([{ search: 'needle' }]), 30);
      });
    }
  });
}
