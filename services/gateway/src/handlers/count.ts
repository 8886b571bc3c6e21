import { closedFrame, countFrame, type Filter } from '@nrelay/protocol';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { applyFilterHooks } from '../filters.js';
import { challengeIfAuthRequired } from './event.js';

/**
 * COUNT (NIP-45): the filter hooks apply as for REQ, then the query service counts. The answer
 * is `["COUNT", subId, {"count": n}]`; a refusal or failure is `CLOSED`. Limits are not
 * applied: a count is over everything the filters match.
 */
export async function handleCount(
  ctx: GatewayContext,
  conn: Connection,
  subId: string,
  filters: Filter[],
): Promise<void> {
  const verdict = applyFilterHooks(ctx, conn, filters);
  // Await only an asynchronous verdict: synchronous hooks keep COUNT's old timing.
  const rejection = typeof verdict === 'object' ? await verdict : verdict;
  if (conn.lifetime.signal.aborted) return;
  if (rejection !== undefined) {
    challengeIfAuthRequired(conn, rejection);
    conn.send('CLOSED', closedFrame(subId, rejection));
    return;
  }
  let count: number;
  try {
    const request = { v: 1 as const, filters, viewer: { authedPubkeys: [...conn.authedPubkeys] } };
    count = await ctx.query.count(request, conn.lifetime.signal);
  } catch (err) {
    if (conn.lifetime.signal.aborted) return;
    conn.logger.warn({ err, subId }, 'count query failed');
    conn.send('CLOSED', closedFrame(subId, 'error: could not count events'));
    return;
  }
  conn.send('COUNT', countFrame(subId, count));
}
