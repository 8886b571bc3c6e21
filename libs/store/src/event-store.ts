import type { Filter, RawEvent } from '@nrelay/protocol';
import type { Kysely } from 'kysely';
import { countWithHll, type HllCount } from './hll.js';
import { type ItemsOptions, queryItems } from './items.js';
import { countEvents, queryEvents } from './query.js';
import { DEFAULT_SAVE_SETTINGS, type SaveSettings, saveEvents } from './save.js';
import type { StoreSchema } from './schema.js';
import type { CountOptions, QueryOptions, SaveOptions, SaveOutcome, StoredEvent } from './types.js';

/**
 * The relay's durable event store: NIP-01 storage and queries with NIP-09 deletions,
 * NIP-16/33 replaceable and addressable events, NIP-40 expiration, NIP-45 counts and NIP-50
 * search. One implementation for Postgres and PGlite.
 */
export interface EventStore {
  /**
   * Stores events (never ephemeral ones) and answers one outcome per input, in order. An
   * outcome other than `invalid` is durable when the promise resolves.
   */
  save(events: readonly RawEvent[], opts?: SaveOptions): Promise<SaveOutcome[]>;
  /**
   * Streams one filter's matches (see `QueryOptions`), newest first, ties by lowest id, as
   * non-empty pages (one per database round trip).
   */
  query(filter: Filter, opts: QueryOptions): AsyncIterable<readonly StoredEvent[]>;
  /** NIP-45: distinct events matching any filter; limits ignored. */
  count(filters: Filter[], opts?: CountOptions): Promise<number>;
  /** NIP-45 with HyperLogLog: `count` of one filter plus its pubkeys' registers at `offset` (hll.ts). */
  countHll(filter: Filter, offset: number, opts?: CountOptions): Promise<HllCount>;
  /** NIP-77: the filter's `(created_at, id)` items as packed records, ascending (see `queryItems`). */
  items(filter: Filter, opts: ItemsOptions): Promise<Uint8Array>;
  /** Deletes events whose NIP-40 expiration is at or before `now` (seconds); returns how many. */
  purgeExpired(now?: number): Promise<number>;
  /** Closes the database (the store owns the Kysely instance it was given). */
  close(): Promise<void>;
}

/** Options of `createEventStore`. */
export interface EventStoreOptions {
  save?: Partial<SaveSettings>;
}

/**
 * Builds an `EventStore` over a migrated database (see `createDatabase`, `migrateToLatest`).
 * The store takes ownership of `db`: `close()` destroys it.
 */
export function createEventStore(db: Kysely<StoreSchema>, options: EventStoreOptions = {}): EventStore {
  const settings: SaveSettings = { ...DEFAULT_SAVE_SETTINGS, ...options.save };
  return {
    save: (events, opts) => saveEvents(db, events, settings, opts?.signal),
    query: (filter, opts) => queryEvents(db, filter, opts),
    count: (filters, opts) => countEvents(db, filters, opts),
    countHll: (filter, offset, opts) => countWithHll(db, filter, offset, opts),
    items: (filter, opts) => queryItems(db, filter, opts),
    async purgeExpired(now = Math.floor(Date.now() / 1000)) {
      const result = await db.deleteFrom('events').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    close: () => db.destroy(),
  };
}
