import { type RawBuilder, sql } from 'kysely';
import { and, eventConditions, oneOf, type QueryContext } from './event-conditions.js';
import { chooseDrive, type Drive, type NormalizedFilter } from './filter-plan.js';

/** The last row of a page: the next page starts strictly after it. */
export interface PageCursor {
  createdAt: number;
  id: string;
}

/** A row of a page query. */
export interface PageRow {
  id: string;
  raw: string;
  created_at: number;
  /** Bytes of raw JSON of the page up to and including this row (see `byteBounded`). */
  through: number;
}

/** Lanes (authors × kinds, tag values × kinds) above which kinds become a filter, not lanes. */
const MAX_LANES = 1000;

/** Rows strictly after the cursor in (created_at DESC, id ASC) order. */
function after(createdAt: RawBuilder<unknown>, id: RawBuilder<unknown>, cursor?: PageCursor) {
  if (!cursor) return [];
  return [
    sql`${createdAt} <= ${cursor.createdAt} and (${createdAt} < ${cursor.createdAt} or ${id} > ${cursor.id})`,
  ];
}

/**
 * One page of a filter's results, newest first, ties by lowest id, starting after `cursor`.
 * Multi-valued drives (authors, kinds, tag values) run one LATERAL index range per value, each
 * limited to the page size, then merge: the work is bounded by values × page size, and an
 * event reached through two tag values is kept once.
 */
export function pageQuery(
  f: NormalizedFilter,
  drive: Drive,
  ctx: QueryContext,
  n: number,
  cursor?: PageCursor,
): RawBuilder<PageRow> {
  if (drive.by === 'tag') return tagPage(f, drive.tag.name, drive.tag.keys, ctx, n, cursor);
  if ((drive.by === 'authors' || drive.by === 'kinds') && laneCount(f, drive.by) > 1) {
    return lanePage(f, drive.by, ctx, n, cursor);
  }
  // One lane (one author, one kind, or both) is one ordered index range: read the page, raw
  // text included, straight from it.
  const conds = [...eventConditions(f, ctx), ...after(sql`e.created_at`, sql`e.id`, cursor)];
  return sql<PageRow>`select e.id, e.raw, e.created_at from events e where ${and(conds)}
    order by e.created_at desc, e.id limit ${n}`;
}

/**
 * A page cut to a byte budget: the rows of `page` (ordered created_at DESC, id) whose preceding
 * rows hold fewer than `maxBytes` bytes of raw JSON, so at least one row, and each with the
 * running total in `through`. octet_length of a TOASTed text reads its stored size and does
 * not decompress it; the window follows the page's own order, so no sort is added.
 */
export function byteBounded(page: RawBuilder<PageRow>, maxBytes: number): RawBuilder<PageRow> {
  return sql<PageRow>`select b.id, b.raw, b.created_at, b.through from (
      select p.id, p.raw, p.created_at,
        sum(octet_length(p.raw)) over (order by p.created_at desc, p.id rows unbounded preceding) as through
      from (${page}) as p
    ) as b
    where b.through - octet_length(b.raw) < ${maxBytes}
    order by b.created_at desc, b.id`;
}

/**
 * Reads the raw text of a page's rows once the page is known. `id = any(array(...))` keeps the
 * fetch a primary-key lookup per row; a join here let the planner pick a hash join over the
 * whole table. `hits` must yield distinct (id, created_at) rows.
 */
function fetchPage(hits: RawBuilder<unknown>): RawBuilder<PageRow> {
  return sql<PageRow>`select e.id, e.raw, e.created_at from events e
    where e.id = any(array(select h.id from (${hits}) as h))
    order by e.created_at desc, e.id`;
}

/** Whether an authors- or kinds-driven query runs one lane per kind too. */
function lanesByKind(f: NormalizedFilter, by: 'authors' | 'kinds'): boolean {
  const kinds = f.kinds ?? [];
  const authors = by === 'authors' ? (f.authors ?? []) : [];
  return by === 'kinds' || (kinds.length > 0 && authors.length * kinds.length <= MAX_LANES);
}

/** How many index ranges (authors × kinds) an authors- or kinds-driven query reads. */
function laneCount(f: NormalizedFilter, by: 'authors' | 'kinds'): number {
  const authors = by === 'authors' ? (f.authors?.length ?? 0) : 1;
  return authors * (lanesByKind(f, by) ? (f.kinds?.length ?? 0) : 1);
}

function lanePage(
  f: NormalizedFilter,
  by: 'authors' | 'kinds',
  ctx: QueryContext,
  n: number,
  cursor?: PageCursor,
): RawBuilder<PageRow> {
  const authors = by === 'authors' ? (f.authors ?? []) : [];
  const kinds = f.kinds ?? [];
  const laneKinds = lanesByKind(f, by);
  const lanes: RawBuilder<unknown>[] = [];
  const match: RawBuilder<unknown>[] = [];
  if (by === 'authors') {
    lanes.push(sql`unnest(${authors}::text[]) as la(pubkey)`);
    match.push(sql`e.pubkey = la.pubkey`);
  }
  if (laneKinds) {
    lanes.push(sql`unnest(${kinds}::int[]) as lk(kind)`);
    match.push(sql`e.kind = lk.kind`);
  }
  const conds = [
    ...match,
    ...eventConditions(f, ctx, { authors: true, kinds: laneKinds }),
    ...after(sql`e.created_at`, sql`e.id`, cursor),
  ];
  return fetchPage(sql`
    select x.id, x.created_at from ${sql.join(lanes, sql` cross join `)}
    cross join lateral (
      select e.id, e.created_at from events e where ${and(conds)}
      order by e.created_at desc, e.id limit ${n}
    ) as x
    order by x.created_at desc, x.id limit ${n}`);
}

/**
 * FROM and WHERE of a tag-driven query, except the key match. Kind, created_at and expires_at
 * are copied onto each tag row, so the common shapes (tag values + kinds + since/until) are an
 * index-only scan of event_tags; `events` is joined only for conditions the tag row lacks
 * (authors, other tags, search, privacy).
 */
function tagDriven(f: NormalizedFilter, name: string, ctx: QueryContext, kinds?: RawBuilder<unknown>) {
  const conds = [sql`t.name = ${name}`, sql`(t.expires_at is null or t.expires_at > ${ctx.now})`];
  if (kinds) conds.push(kinds);
  if (f.since !== undefined) conds.push(sql`t.created_at >= ${f.since}`);
  if (f.until !== undefined) conds.push(sql`t.created_at <= ${f.until}`);
  const eventConds = eventConditions(f, ctx, { expiry: true, kinds: true, time: true, tag: name });
  const from =
    eventConds.length === 0 ? sql`event_tags t` : sql`event_tags t join events e on e.id = t.event_id`;
  return { from, conds: [...conds, ...eventConds] };
}

function tagPage(
  f: NormalizedFilter,
  name: string,
  keys: string[],
  ctx: QueryContext,
  n: number,
  cursor?: PageCursor,
): RawBuilder<PageRow> {
  const kinds = f.kinds ?? [];
  const laneKinds = kinds.length > 0 && keys.length * kinds.length <= MAX_LANES;
  if (keys.length === 1 && (!laneKinds || kinds.length === 1))
    return oneTagPage(f, name, keys[0]!, ctx, n, cursor);
  const lanes = [sql`unnest(${keys}::text[]) as lt(key)`];
  let kindCond: RawBuilder<unknown> | undefined;
  if (laneKinds) {
    lanes.push(sql`unnest(${kinds}::int[]) as lk(kind)`);
    kindCond = sql`t.kind = lk.kind`;
  } else if (kinds.length > 0) {
    kindCond = sql`t.kind = any(${kinds}::int[])`;
  }
  const driven = tagDriven(f, name, ctx, kindCond);
  const conds = [sql`t.key = lt.key`, ...driven.conds, ...after(sql`t.created_at`, sql`t.event_id`, cursor)];
  return fetchPage(sql`
    select distinct x.event_id as id, x.created_at from ${sql.join(lanes, sql` cross join `)}
    cross join lateral (
      select t.event_id, t.created_at from ${driven.from} where ${and(conds)}
      order by t.created_at desc, t.event_id limit ${n}
    ) as x
    order by created_at desc, id limit ${n}`);
}

/**
 * A tag-driven page with one tag value and at most one kind lane: one ordered range of
 * event_tags, each row joined to its event by primary key. A tag row names an event once, so
 * nothing needs deduplicating.
 */
function oneTagPage(
  f: NormalizedFilter,
  name: string,
  key: string,
  ctx: QueryContext,
  n: number,
  cursor?: PageCursor,
): RawBuilder<PageRow> {
  const kinds = f.kinds ?? [];
  const kindCond = kinds.length === 0 ? undefined : oneOf(sql`t.kind`, kinds, 'int');
  const driven = tagDriven(f, name, ctx, kindCond);
  const conds = [sql`t.key = ${key}`, ...driven.conds, ...after(sql`t.created_at`, sql`t.event_id`, cursor)];
  // t.created_at (equal to e.created_at) is the index order, so the byte bound adds no sort.
  return sql<PageRow>`select e.id, e.raw, t.created_at
    from event_tags t join events e on e.id = t.event_id where ${and(conds)}
    order by t.created_at desc, t.event_id limit ${n}`;
}

/** The ids of the events a filter matches (a tag-driven filter may list an id twice). */
export function matchingIds(
  f: NormalizedFilter,
  ctx: QueryContext,
): { ids: RawBuilder<unknown>; distinct: boolean } {
  const drive = chooseDrive(f);
  if (drive.by !== 'tag') {
    return { ids: sql`select e.id from events e where ${and(eventConditions(f, ctx))}`, distinct: true };
  }
  const kinds = f.kinds ? sql`t.kind = any(${f.kinds}::int[])` : undefined;
  const driven = tagDriven(f, drive.tag.name, ctx, kinds);
  const conds = [sql`t.key = any(${drive.tag.keys}::text[])`, ...driven.conds];
  return {
    ids: sql`select t.event_id as id from ${driven.from} where ${and(conds)}`,
    distinct: false,
  };
}

/** NIP-45: how many distinct events match any of the filters (limits ignored). */
export function countQuery(filters: NormalizedFilter[], ctx: QueryContext): RawBuilder<{ n: number }> {
  const parts = filters.map((f) => matchingIds(f, ctx));
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.distinct) return sql<{ n: number }>`select count(*) as n from (${only.ids}) as u`;
  if (only) return sql<{ n: number }>`select count(distinct u.id) as n from (${only.ids}) as u`;
  return sql<{ n: number }>`select count(*) as n from (${sql.join(
    parts.map((p) => p.ids),
    sql` union `,
  )}) as u`;
}
