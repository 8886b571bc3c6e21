import { type RawBuilder, sql } from 'kysely';
import { eventConditions, type QueryContext, tsQuery } from './event-conditions.js';
import type { NormalizedFilter } from './filter-plan.js';

/** One ranked search hit: its id and the bytes of its raw JSON. */
export interface SearchHit {
  id: string;
  bytes: number;
}

/**
 * The ids of a NIP-50 search's results, best rank first, then newest, then lowest id, at most
 * `limit`. Ranking has no index: every match is ranked, once per query. Rank is then fixed, so
 * the results are read page by page by id (`searchPageOf`) instead of re-ranking every match
 * for each page (the offset paging this replaces cost one full ranking per page).
 */
export function searchRanking(f: NormalizedFilter, ctx: QueryContext, limit: number): RawBuilder<SearchHit> {
  const query = tsQuery(f.search ?? '');
  return sql<SearchHit>`select e.id, octet_length(e.raw) as bytes from events e
    where ${sql.join(eventConditions(f, ctx), sql` and `)}
    order by ts_rank(e.search, ${query}) desc, e.created_at desc, e.id limit ${limit}`;
}

/** The raw JSON of the given events in the given order (primary-key lookups); gone ones are skipped. */
export function searchPageOf(ids: readonly string[]): RawBuilder<{ id: string; raw: string }> {
  return sql<{ id: string; raw: string }>`select e.id, e.raw
    from unnest(${ids}::text[]) with ordinality as r(id, n) join events e on e.id = r.id
    order by r.n`;
}
