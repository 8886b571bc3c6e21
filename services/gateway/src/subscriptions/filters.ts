import type { Filter } from '@nrelay/protocol';

/**
 * Sets each filter's limit to `min(limit ?? its number of ids ?? DEFAULT_LIMIT, MAX_LIMIT)`, in
 * place: a REQ by ids without a limit is served whole (the query engine's `effectiveLimit`).
 */
export function normaliseLimits(filters: Filter[], defaultLimit: number, maxLimit: number): void {
  for (const filter of filters)
    filter.limit = Math.min(filter.limit ?? filter.ids?.length ?? defaultLimit, maxLimit);
}

/**
 * Whether a subscription can never see another event: every filter names ids, none has
 * `limit: 0`, and every one of those ids has already been sent. Ids are unique, so no later
 * event can match such a filter.
 */
export function allIdsFound(filters: readonly Filter[], sentIds: ReadonlySet<string>): boolean {
  if (filters.length === 0) return false;
  for (const filter of filters) {
    const ids = filter.ids;
    if (ids === undefined || ids.length === 0 || filter.limit === 0) return false;
    for (const id of ids) if (!sentIds.has(id)) return false;
  }
  return true;
}

/** The filters that can return stored events (`limit: 0` ones only listen live). */
export function storedFilters(filters: readonly Filter[]): Filter[] {
  const out: Filter[] = [];
  for (const filter of filters) if (filter.limit !== 0) out.push(filter);
  return out;
}
