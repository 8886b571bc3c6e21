import { type RawBuilder, sql } from 'kysely';
import type { NormalizedFilter } from './filter-plan.js';
import { indexKeys } from './index-key.js';
import type { StoreViewer } from './types.js';

// The WHERE of one filter over `events e`: NIP-40 expiry, the filter's fields and tags, search
// and the viewer's privacy predicate. Page and count queries (query-sql.ts) and search
// (search-sql.ts) build on it.

/** What every query needs besides the filter. */
export interface QueryContext {
  /** Seconds; events with expires_at <= now are never returned. */
  now: number;
  viewer?: StoreViewer;
}

/** Columns a query already constrains through its driving index (skip them in WHERE). */
interface Omit {
  /** NIP-40 is checked on the tag row instead. */
  expiry?: boolean;
  authors?: boolean;
  kinds?: boolean;
  time?: boolean;
  tag?: string;
}

/**
 * What the privacy predicate must check for one filter: nothing (no privileged kinds, or the
 * filter names only ordinary kinds), the kind alone (an anonymous viewer sees no privileged
 * event, and the kind is on every tag row and kind index), or the full rule (author or
 * p-tagged viewer).
 */
function privacyCheck(f: NormalizedFilter, viewer: StoreViewer | undefined): 'none' | 'kind' | 'viewer' {
  if (viewer === undefined || viewer.privilegedKinds.length === 0) return 'none';
  if (f.kinds?.every((kind) => !viewer.privilegedKinds.includes(kind))) return 'none';
  return viewer.pubkeys.length === 0 ? 'kind' : 'viewer';
}

/**
 * `column = value` for one value (the planner then reads an index range in order), else
 * `column = any(values)`.
 */
export function oneOf(
  column: RawBuilder<unknown>,
  values: readonly string[] | readonly number[],
  type: 'text' | 'int',
) {
  if (values.length === 1) return sql`${column} = ${values[0]}`;
  return type === 'text' ? sql`${column} = any(${values}::text[])` : sql`${column} = any(${values}::int[])`;
}

/** The conjunction of `conds` (`true` when there are none). */
export const and = (conds: RawBuilder<unknown>[]) =>
  conds.length === 0 ? sql`true` : sql.join(conds, sql` and `);

/** `websearch_to_tsquery` of the filter's search text (bounded by the caller: query-input.ts). */
export function tsQuery(text: string) {
  return sql`websearch_to_tsquery('simple', ${text})`;
}

/**
 * The WHERE conditions of a filter over `events e`, minus those the driving index already
 * applies. Always includes NIP-40 (not expired at `now`) and the viewer's privacy predicate.
 */
export function eventConditions(
  f: NormalizedFilter,
  ctx: QueryContext,
  omit: Omit = {},
): RawBuilder<unknown>[] {
  const conds: RawBuilder<unknown>[] = [];
  if (!omit.expiry) conds.push(sql`(e.expires_at is null or e.expires_at > ${ctx.now})`);
  if (f.ids) conds.push(oneOf(sql`e.id`, f.ids, 'text'));
  if (f.authors && !omit.authors) conds.push(oneOf(sql`e.pubkey`, f.authors, 'text'));
  if (f.kinds && !omit.kinds) conds.push(oneOf(sql`e.kind`, f.kinds, 'int'));
  if (f.since !== undefined && !omit.time) conds.push(sql`e.created_at >= ${f.since}`);
  if (f.until !== undefined && !omit.time) conds.push(sql`e.created_at <= ${f.until}`);
  for (const tag of f.tags) {
    if (tag.name === omit.tag) continue;
    conds.push(sql`exists (select 1 from event_tags tg
      where tg.event_id = e.id and tg.name = ${tag.name} and tg.key = any(${tag.keys}::text[]))`);
  }
  if (f.search !== undefined) conds.push(sql`e.search @@ ${tsQuery(f.search)}`);
  const viewer = ctx.viewer;
  const privacy = privacyCheck(f, viewer);
  if (privacy === 'kind') {
    conds.push(sql`e.kind <> all(${[...(viewer?.privilegedKinds ?? [])]}::int[])`);
  }
  if (viewer && privacy === 'viewer') {
    conds.push(sql`(e.kind <> all(${[...viewer.privilegedKinds]}::int[])
      or e.pubkey = any(${[...viewer.pubkeys]}::text[])
      or exists (select 1 from event_tags pv where pv.event_id = e.id and pv.name = 'p'
        and pv.key = any(${indexKeys(viewer.pubkeys)}::text[])))`);
  }
  return conds;
}
