import type { Filter } from '@nrelay/protocol';
import { HOOK_FAILED_REASON, type MaybePromise, type Rejection } from '@nrelay/runtime';
import type { Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import { firstRejection, firstRejectionOfEach } from './hooks.js';

/**
 * Runs the hooks of a REQ or COUNT: `rejectReq` on the whole message, then every
 * `overwriteFilter` in place, then every `rejectFilter`. Returns the first (prefixed) rejection,
 * if any; a promise only when a hook answered with one.
 */
export function applyFilterHooks(
  ctx: GatewayContext,
  conn: Connection,
  filters: Filter[],
): MaybePromise<Rejection> {
  const rejectReq = ctx.hooks.rejectReq;
  if (rejectReq.length > 0) {
    const verdict = firstRejection(rejectReq, filters, conn, conn);
    if (verdict !== undefined) {
      if (typeof verdict === 'string') return verdict;
      return verdict.then((reason) => reason ?? applyPerFilterHooks(ctx, conn, filters));
    }
  }
  return applyPerFilterHooks(ctx, conn, filters);
}

function applyPerFilterHooks(
  ctx: GatewayContext,
  conn: Connection,
  filters: Filter[],
): MaybePromise<Rejection> {
  const { overwriteFilter, rejectFilter } = ctx.hooks;
  if (overwriteFilter.length > 0) {
    try {
      for (const filter of filters) for (const overwrite of overwriteFilter) overwrite(filter, conn);
    } catch (err) {
      conn.logger.error({ err }, 'overwriteFilter hook failed');
      return HOOK_FAILED_REASON;
    }
  }
  if (rejectFilter.length > 0) return firstRejectionOfEach(rejectFilter, filters, conn, conn);
  return undefined;
}
