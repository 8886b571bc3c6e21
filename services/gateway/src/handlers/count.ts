import { closedFrame, countFrame, type Filter, hllOffsetFor } from '@nrelay/protocol';
import { InvalidQueryError } from '@nrelay/seams/query';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { applyFilterHooks } from '../filter-hooks.js';
import { QuerySlotTimeout } from '../query-slots.js';
import { type CountAnswer, countKey } from '../shared-counts.js';
import { challengeIfAuthRequired } from './event.js';

/**
 * COUNT (NIP-45): the filter hooks apply as for REQ, then the query service counts. The answer
 * is `["COUNT", subId, {"count": n}]`, with `"hll"` (the NIP-45 HyperLogLog registers) when
 * the COUNT has a shape `hllOffsetFor` accepts and the query seam builds them; a refusal or
 * failure is `CLOSED`. Limits are not applied: a count is over everything the filters match.
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
  let answer: CountAnswer;
  try {
    const authedPubkeys = [...conn.authedPubkeys];
    const request = { v: 1 as const, filters, viewer: { authedPubkeys } };
    const hllOffset = ctx.query.countHll === undefined ? undefined : hllOffsetFor(filters);
    const key = countKey(filters, conn.authedPubkeys, hllOffset !== undefined);
    // The shared count runs on its own signal (aborted when nobody waits) in this connection's
    // share of the slots: the connection that started it pays for it.
    answer = await ctx.counts.count<CountAnswer>(key, signal, async (shared) => {
      const release = await ctx.slots.acquire(conn, shared);
      try {
        if (hllOffset === undefined || ctx.query.countHll === undefined)
          return await ctx.query.count(request, shared);
        return await ctx.query.countHll({ ...request, hllOffset }, shared);
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
  if (typeof answer === 'number') conn.send('COUNT', countFrame(subId, answer));
  else conn.send('COUNT', countFrame(subId, answer.count, undefined, answer.hll));
}
