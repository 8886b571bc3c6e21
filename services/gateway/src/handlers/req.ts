import { closedFrame, type Filter } from '@nrelay/protocol';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { applyFilterHooks } from '../filter-hooks.js';
import { Subscription } from '../subscriptions/subscription.js';
import { dropSubscription } from './close.js';
import { challengeIfAuthRequired } from './event.js';

/**
 * REQ: validate; replace a subscription with the same id; run the filter hooks; then the
 * `Subscription` takes over (subscriptions/subscription.ts): registered live FIRST, stored
 * results, EOSE, buffered live events not already sent, live. See docs/architecture.md "REQ".
 *
 * When a hook answers asynchronously, the subscription id is held (in `conn.subscriptions`, not
 * yet in the index) while it runs, so a CLOSE, a replacing REQ or a disconnect in the meantime
 * cancels it exactly as it would cancel a running subscription.
 */
export function handleReq(ctx: GatewayContext, conn: Connection, subId: string, filters: Filter[]): void {
  // A reused id replaces the old subscription, which therefore does not count against the limit.
  dropSubscription(ctx, conn, subId);
  const max = ctx.config.MAX_SUBSCRIPTIONS;
  // COUNTs in flight hold an id too (NIP-45): they count against the same limit.
  if (conn.idsInUse >= max) {
    conn.send('CLOSED', closedFrame(subId, `restricted: too many subscriptions (max ${max})`));
    return;
  }
  const verdict = applyFilterHooks(ctx, conn, filters);
  if (verdict === undefined) {
    new Subscription(subId, filters).open(ctx, conn);
    return;
  }
  if (typeof verdict === 'string') {
    refuseReq(conn, subId, verdict);
    return;
  }
  const sub = new Subscription(subId, filters);
  sub.hold(conn);
  void verdict
    .then((reason) => {
      // Closed, replaced or disconnected while the hooks ran: nothing to answer.
      if (sub.closed) return;
      if (reason === undefined) return sub.open(ctx, conn);
      sub.close(ctx, conn);
      refuseReq(conn, subId, reason);
    })
    .catch((err: unknown) => {
      conn.logger.error({ err, subId }, 'REQ failed after its hooks');
      if (sub.closed) return;
      sub.close(ctx, conn);
      conn.send('CLOSED', closedFrame(subId, 'error: internal error'));
    });
}

function refuseReq(conn: Connection, subId: string, reason: string): void {
  challengeIfAuthRequired(conn, reason);
  conn.send('CLOSED', closedFrame(subId, reason));
}
