import type { Filter } from '@nrelay/protocol';
import type { CompiledQuery, Kysely } from 'kysely';
import { executeCancellable } from './cancel.js';
import type { QueryContext } from './event-conditions.js';
import { chooseDrive, forViewer, type NormalizedFilter, normalizeFilter } from './filter-plan.js';
import { assertSearchWithin, classifyQueryError } from './query-input.js';
import { byteBounded, countQuery, type PageCursor, type PageRow, pageQuery } from './query-sql.js';
import type { StoreSchema } from './schema.js';
import { type SearchHit, searchPageOf, searchRanking } from './search-sql.js';
import {
  type CountOptions,
  DEFAULT_PAGE_MAX_BYTES,
  DEFAULT_PAGE_SIZE,
  type QueryOptions,
  type StoredEvent,
} from './types.js';

function contextOf(opts: { now?: number; viewer?: QueryContext['viewer'] }): QueryContext {
  const ctx: QueryContext = { now: opts.now ?? Math.floor(Date.now() / 1000) };
  if (opts.viewer) ctx.viewer = opts.viewer;
  return ctx;
}

/** Runs one statement; a database error that blames the query becomes a `QueryInputError`. */
async function run<R>(
  db: Kysely<StoreSchema>,
  query: { compile(db: Kysely<StoreSchema>): CompiledQuery<R> },
  signal: AbortSignal | undefined,
): Promise<R[]> {
  try {
    return (await executeCancellable(db, query.compile(db), signal)).rows;
  } catch (err) {
    throw classifyQueryError(err);
  }
}

/**
 * Streams one filter's stored events, newest first (ties: lowest id first), at most
 * `opts.limit`, one non-empty page per round trip. Rows are fetched a page at a time with
 * keyset pagination on (created_at, id), so memory stays at one page (at most `pageSize` rows
 * and about `pageMaxBytes` bytes) and no connection is held between pages. An aborted signal
 * stops paging and the iteration rejects with the signal's reason; a search over its bounds,
 * or a statement the database finds too complex, rejects with `QueryInputError`.
 */
export async function* queryEvents(
  db: Kysely<StoreSchema>,
  filter: Filter,
  opts: QueryOptions,
): AsyncGenerator<StoredEvent[], void, undefined> {
  const f = forViewer(normalizeFilter(filter), opts.viewer);
  if (f.matchesNothing || !(opts.limit > 0)) return;
  assertSearchWithin(f.search, opts.search);
  const drive = chooseDrive(f);
  const ctx = contextOf(opts);
  const pageSize = Math.max(1, Math.floor(opts.pageSize ?? DEFAULT_PAGE_SIZE));
  const maxBytes = Math.max(1, Math.floor(opts.pageMaxBytes ?? DEFAULT_PAGE_MAX_BYTES));
  if (drive.by === 'search') {
    yield* searchPages(db, f, ctx, { limit: Math.floor(opts.limit), pageSize, maxBytes }, opts.signal);
    return;
  }
  let remaining = Math.floor(opts.limit);
  let cursor: PageCursor | undefined;
  while (remaining > 0) {
    opts.signal?.throwIfAborted();
    const n = Math.min(pageSize, remaining);
    const rows = await run(db, byteBounded(pageQuery(f, drive, ctx, n, cursor), maxBytes), opts.signal);
    opts.signal?.throwIfAborted();
    // A page row is a StoredEvent (plus the created_at of the cursor): handed on as it is.
    if (rows.length > 0) yield rows;
    remaining -= rows.length;
    const last = rows[rows.length - 1] as PageRow | undefined;
    // Short of n rows, the page is the last one unless the byte budget cut it: a cut page's
    // rows reach the budget (a row is left out only when the rows before it reach it).
    if (last === undefined || (rows.length < n && last.through < maxBytes)) return;
    cursor = { createdAt: last.created_at, id: last.id };
  }
}

/**
 * A search's pages: one ranking statement for the ids (and sizes) of all its results, then
 * pages of at most `pageSize` rows and about `maxBytes` bytes, each read by id in rank order.
 */
async function* searchPages(
  db: Kysely<StoreSchema>,
  f: NormalizedFilter,
  ctx: QueryContext,
  bounds: { limit: number; pageSize: number; maxBytes: number },
  signal: AbortSignal | undefined,
): AsyncGenerator<StoredEvent[], void, undefined> {
  signal?.throwIfAborted();
  const hits = await run(db, searchRanking(f, ctx, bounds.limit), signal);
  let start = 0;
  while (start < hits.length) {
    signal?.throwIfAborted();
    const end = pageEnd(hits, start, bounds.pageSize, bounds.maxBytes);
    const rows = await run(db, searchPageOf(hits.slice(start, end).map((hit) => hit.id)), signal);
    signal?.throwIfAborted();
    if (rows.length > 0) yield rows;
    start = end;
  }
}

/** The end (exclusive) of the page starting at `start`: the same rule as `byteBounded`. */
function pageEnd(hits: readonly SearchHit[], start: number, pageSize: number, maxBytes: number): number {
  let bytes = 0;
  let end = start;
  while (end < hits.length && end - start < pageSize && bytes < maxBytes) bytes += hits[end++]!.bytes;
  return end;
}

/** NIP-45: the number of distinct stored events matching any of the filters; limits are ignored. */
export async function countEvents(
  db: Kysely<StoreSchema>,
  filters: Filter[],
  opts: CountOptions = {},
): Promise<number> {
  opts.signal?.throwIfAborted();
  const normalized = filters
    .map((filter) => forViewer(normalizeFilter(filter), opts.viewer))
    .filter((f) => !f.matchesNothing);
  for (const f of normalized) assertSearchWithin(f.search, opts.search);
  if (normalized.length === 0) return 0;
  const rows = await run(db, countQuery(normalized, contextOf(opts)), opts.signal);
  return Number(rows[0]?.n ?? 0);
}
