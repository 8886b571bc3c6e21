import type { Filter } from '@nrelay/protocol';
import { type Kysely, sql } from 'kysely';
import { executeCancellable } from './cancel.js';
import { and, eventConditions, type QueryContext } from './event-conditions.js';
import { forViewer, normalizeFilter } from './filter-plan.js';
import { classifyQueryError } from './query-input.js';
import type { StoreSchema } from './schema.js';
import type { StoreViewer } from './types.js';

/** Records per row of the answer (640 KiB of bytea). */
const CHUNK_ITEMS = 16384;

/** Options of `EventStore.items`. */
export interface ItemsOptions {
  /**
   * Most items returned. Ask for one more than you accept to learn that a set is too large
   * without reading all of it. A filter's own `limit`, when lower, keeps its newest events.
   */
  limit: number;
  signal?: AbortSignal;
  /** Current time in seconds, for NIP-40 expiration. Default: the clock. */
  now?: number;
  /** Privacy predicate for privileged kinds; absent: no restriction. */
  viewer?: StoreViewer;
}

/**
 * NIP-77's item set of one filter: `(created_at, id)` of the matching events this viewer may
 * read (the same predicate as REQ: expired, deleted, banned and others' privileged events are
 * never in it), packed as 40-byte records (created_at as a big-endian u64, then the id's 32
 * bytes) in ascending (created_at, id) order. The database selects two columns, sorts and
 * packs them into a few bytea chunks: no event text is read and no row object is built per item.
 * Without a filter limit the inner scan has no ORDER BY, so `limit` stops it early.
 */
export async function queryItems(
  db: Kysely<StoreSchema>,
  filter: Filter,
  opts: ItemsOptions,
): Promise<Uint8Array> {
  opts.signal?.throwIfAborted();
  const f = forViewer(normalizeFilter(filter), opts.viewer);
  const limit = Math.floor(Math.min(opts.limit, filter.limit ?? Number.POSITIVE_INFINITY));
  if (f.matchesNothing || !(limit > 0)) return new Uint8Array(0);
  const ctx: QueryContext = { now: opts.now ?? Math.floor(Date.now() / 1000) };
  if (opts.viewer) ctx.viewer = opts.viewer;
  const newest = filter.limit === undefined ? sql`` : sql`order by e.created_at desc, e.id`;
  // Chunks of CHUNK_ITEMS records, one row each, in order: the driver parses (bytea travels as
  // hex text) one chunk at a time instead of one string twice the size of the whole set.
  const query = sql<{ items: Uint8Array }>`select
      string_agg(int8send(c.created_at) || decode(c.id, 'hex'), ''::bytea order by c.created_at, c.id) as items
    from (
      select s.created_at, s.id, (row_number() over (order by s.created_at, s.id) - 1) / ${CHUNK_ITEMS} as chunk
      from (select e.created_at, e.id from events e where ${and(eventConditions(f, ctx))} ${newest} limit ${limit}) as s
    ) as c
    group by c.chunk order by c.chunk`;
  try {
    const { rows } = await executeCancellable(db, query.compile(db), opts.signal);
    opts.signal?.throwIfAborted();
    const out = new Uint8Array(rows.reduce((n, row) => n + row.items.byteLength, 0));
    let at = 0;
    for (const row of rows) {
      out.set(row.items, at);
      at += row.items.byteLength;
    }
    return out;
  } catch (err) {
    throw classifyQueryError(err);
  }
}
