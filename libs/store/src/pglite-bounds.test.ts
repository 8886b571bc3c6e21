import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Filter } from '@nrelay/protocol';
import { sql } from 'kysely';
import { createDatabase, type StoreDatabase } from './database.js';
import { createEventStore, type EventStore } from './event-store.js';
import { migrateToLatest } from './migrate.js';
import { seed } from './tools/seed.js';

/** Seeded events; the figures printed scale with it (search ranks every match). */
const EVENTS = 20_000;
const NOW = 1_750_000_000;
/** Generous bound of the longest event-loop block of one statement (the machine is shared). */
const MAX_BLOCK_MS = 3_000;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
/** The seeded authors (the seeding SQL's md5(x) || md5(x || ':')), then random pubkeys up to n. */
const pubkeys = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    i < 500 ? md5(`author${i}`) + md5(`author${i}:`) : randomBytes(32).toString('hex'),
  );

/**
 * PGlite runs in the main thread and has no statement timeout that works (asserted below), so
 * a long statement blocks the event loop. What bounds a statement there is its input: pages
 * of QUERY_PAGE_SIZE rows and QUERY_PAGE_MAX_BYTES, MAX_LANES index ranges, searches of
 * MAX_SEARCH_TERMS ranked once. These are the most expensive filters the default limits allow
 * (MAX_LIMIT 5000, a 256 KB frame holds ~3,800 hex values).
 */
describe('PGlite: no statement timeout, so every query is bounded by its input', () => {
  let database: StoreDatabase;
  let store: EventStore;
  before(async () => {
    database = await createDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    await seed(database.db, { events: EVENTS, authors: 500, chunk: 5_000, now: NOW }, () => {});
    store = createEventStore(database.db);
  });
  after(async () => {
    await store?.close();
  });

  it('statement_timeout is accepted but does not interrupt a statement', async () => {
    await sql`set statement_timeout = '100ms'`.execute(database.db);
    const started = performance.now();
    await sql`select pg_sleep(0.6)`.execute(database.db);
    const ms = performance.now() - started;
    await sql`set statement_timeout = 0`.execute(database.db);
    // If this fails, PGlite learned statement_timeout: set it like QUERY_STATEMENT_TIMEOUT_MS.
    assert.ok(ms >= 550, `pg_sleep(0.6) returned after ${ms.toFixed(0)} ms`);
  });

  const ors =
    'gm or nostr or bitcoin or coffee or relay or zap or music or art or hello or world or today or friends or build or ship or read or write';
  const shapes: Array<[string, Filter]> = [
    ['a 16-term search matching every event', { search: ors }],
    ['no conditions', {}],
    ['3,800 p tag values', { '#p': pubkeys(3_800) }],
    ['3,800 authors × 4 kinds', { authors: pubkeys(3_800), kinds: [0, 1, 3, 7] }],
    ['3,800 authors', { authors: pubkeys(3_800) }],
  ];
  for (const [name, filter] of shapes) {
    it(`the most expensive allowed REQ filter finishes in bounded time: ${name}`, async () => {
      // The longest gap between ticks of a 5 ms timer: how long the event loop was blocked.
      let blockMs = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        blockMs = Math.max(blockMs, now - last);
        last = now;
      }, 5);
      const started = performance.now();
      let rows = 0;
      for await (const page of store.query(filter, { limit: 5_000, now: NOW })) rows += page.length;
      const total = await store.count([filter], { now: NOW });
      const ms = performance.now() - started;
      clearInterval(ticker);
      blockMs = Math.max(blockMs, performance.now() - last);
      console.log(
        `  ${name}: ${rows} rows, COUNT ${total}, ${ms.toFixed(0)} ms in all, longest block ${blockMs.toFixed(0)} ms (${EVENTS} events)`,
      );
      assert.ok(blockMs < MAX_BLOCK_MS, `the event loop was blocked ${blockMs.toFixed(0)} ms`);
    });
  }
});
