import type { Filter } from '@nrelay/protocol';
import type { Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import { firstRejection } from './hooks.js';

/**
 * Runs the filter hooks of a REQ or COUNT in place: every `overwriteFilter`, then every
 * `rejectFilter`. Returns the first (prefixed) rejection, if any.
 */
export function applyFilterHooks(
  ctx: GatewayContext,
  conn: Connection,
  filters: Filter[],
): string | undefined {
  const { overwriteFilter, rejectFilter } = ctx.hooks;
  if (overwriteFilter.length > 0) {
    for (const filter of filters) for (const overwrite of overwriteFilter) overwrite(filter, conn);
  }
  if (rejectFilter.length > 0) {
    for (const filter of filters) {
      const reason = firstRejection(rejectFilter, filter, conn);
      if (reason !== undefined) return reason;
    }
  }
  return undefined;
}

/** Sets each filter's limit to `min(limit ?? DEFAULT_LIMIT, MAX_LIMIT)`, in place. */
export function normaliseLimits(filters: Filter[], defaultLimit: number, maxLimit: number): void {
  for (const filter of filters) filter.limit = Math.min(filter.limit ?? defaultLimit, maxLimit);
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
