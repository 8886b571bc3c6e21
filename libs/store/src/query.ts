import type { Filter } from '@nrelay/protocol';
import type { Kysely } from 'kysely';
import { executeCancellable } from './cancel.js';
import { chooseDrive, forViewer, normalizeFilter } from './filter-plan.js';
import {
  countQuery,
  type PageCursor,
  type PageRow,
  pageQuery,
  type QueryContext,
  searchPage,
} from './query-sql.js';
import type { StoreSchema } from './schema.js';
import { type CountOptions, DEFAULT_PAGE_SIZE, type QueryOptions, type StoredEvent } from './types.js';

function contextOf(opts: { now?: number; viewer?: QueryContext['viewer'] }): QueryContext {
  const ctx: QueryContext = { now: opts.now ?? Math.floor(Date.now() / 1000) };
  if (opts.viewer) ctx.viewer = opts.viewer;
  return ctx;
}

/**
 * Streams one filter's stored events, newest first (ties: lowest id first), at most
 * `opts.limit`, one non-empty page per round trip. Rows are fetched a page at a time with
 * keyset pagination on (created_at, id), so memory stays at one page and no connection is held
 * between pages. An aborted signal stops paging and the iteration rejects with the signal's
 * reason.
 */
export async function* queryEvents(
  db: Kysely<StoreSchema>,
  filter: Filter,
  opts: QueryOptions,
): AsyncGenerator<StoredEvent[], void, undefined> {
  const f = forViewer(normalizeFilter(filter), opts.viewer);
  if (f.matchesNothing || !(opts.limit > 0)) return;
  const drive = chooseDrive(f);
  const ctx = contextOf(opts);
  const pageSize = Math.max(1, Math.floor(opts.pageSize ?? DEFAULT_PAGE_SIZE));
  let remaining = Math.floor(opts.limit);
  let cursor: PageCursor | undefined;
  let offset = 0;
  while (remaining > 0) {
    opts.signal?.throwIfAborted();
    const n = Math.min(pageSize, remaining);
    const page = drive.by === 'search' ? searchPage(f, ctx, n, offset) : pageQuery(f, drive, ctx, n, cursor);
    const { rows } = await executeCancellable(db, page.compile(db), opts.signal);
    opts.signal?.throwIfAborted();
    // A page row is a StoredEvent (plus the created_at of the cursor): handed on as it is.
    if (rows.length > 0) yield rows;
    remaining -= rows.length;
    if (rows.length < n) return;
    const last = rows[rows.length - 1] as PageRow;
    cursor = { createdAt: last.created_at, id: last.id };
    offset += rows.length;
  }
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
  if (normalized.length === 0) return 0;
  const { rows } = await executeCancellable(
    db,
    countQuery(normalized, contextOf(opts)).compile(db),
    opts.signal,
  );
  return Number(rows[0]?.n ?? 0);
}
