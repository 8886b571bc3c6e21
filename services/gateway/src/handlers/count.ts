import { closedFrame, countFrame, type Filter } from '@nrelay/protocol';
import { InvalidQueryError } from '@nrelay/seams/query';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { applyFilterHooks } from '../filter-hooks.js';
import { QuerySlotTimeout } from '../query-slots.js';
import { countKey } from '../shared-counts.js';
import { challengeIfAuthRequired } from './event.js';

/**
 * COUNT (NIP-45): the filter hooks apply as for REQ, then the query service counts. The answer
 * is `["COUNT", subId, {"count": n}]`; a refusal or failure is `CLOSED`. Limits are not
 * applied: a count is over everything the filters match.
 *
 * A COUNT in flight holds its id like a subscription: it counts against MAX_SUBSCRIPTIONS (past
 * it: `rate-limited:`), and its query takes a slot of the connection's share of the query pool
 * (QuerySlots). Identical COUNTs of any connections share one count and its answer for
 * COUNT_CACHE_MS (SharedCounts), so a flood of `{}` COUNTs costs one count.
 */
export async function handleCount(
  ctx: GatewayContext,
  conn: Connection,
  subId: string,
  filters: Filter[],
): Promise<void> {
  const max = ctx.config.MAX_SUBSCRIPTIONS;
  if (conn.idsInUse >= max) {
    const reason = `rate-limited: too many queries in flight (max ${max} subscriptions and COUNTs)`;
    conn.send('CLOSED', closedFrame(subId, reason));
    return;
  }
  conn.pendingCounts++;
  try {
    await countOnce(ctx, conn, subId, filters);
  } finally {
    conn.pendingCounts--;
  }
}

async function countOnce(ctx: GatewayContext, conn: Connection, subId: string, filters: Filter[]) {
  const verdict = applyFilterHooks(ctx, conn, filters);
  // Await only an asynchronous verdict: synchronous hooks keep COUNT's old timing.
  const rejection = typeof verdict === 'object' ? await verdict : verdict;
  const signal = conn.lifetime.signal;
  if (signal.aborted) return;
  if (rejection !== undefined) {
    challengeIfAuthRequired(conn, rejection);
    conn.send('CLOSED', closedFrame(subId, rejection));
    return;
  }
  let count: number;
  try {
    const authedPubkeys = [...conn.authedPubkeys];
    const request = { v: 1 as const, filters, viewer: { authedPubkeys } };
    // The shared count runs on its own signal (aborted when nobody waits) in this connection's
    // share of the slots: the connection that started it pays for it.
    count = await ctx.counts.count(countKey(filters, conn.authedPubkeys), signal, async (shared) => {
      const release = await ctx.slots.acquire(conn, shared);
      try {
        return await ctx.query.count(request, shared);
      } finally {
        release();
      }
    });
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof QuerySlotTimeout) {
      conn.send('CLOSED', closedFrame(subId, `error: relay busy: ${err.message}, try again later`));
      return;
    }
    if (err instanceof InvalidQueryError) {
      conn.send('CLOSED', closedFrame(subId, `invalid: ${err.message}`));
      return;
    }
    conn.logger.warn({ err, subId }, 'count query failed');
    conn.send('CLOSED', closedFrame(subId, 'error: could not count events'));
    return;
  }
  conn.send('COUNT', countFrame(subId, count));
}
