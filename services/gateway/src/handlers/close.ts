import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';

/** Why a subscription's stored query stops when the subscription is closed or replaced. */
const SUBSCRIPTION_CLOSED = new Error('subscription closed');

/**
 * Ends one subscription of a connection: aborts its stored-results query and drops it from the
 * live index. Returns whether there was such a subscription.
 */
export function dropSubscription(ctx: GatewayContext, conn: Connection, subId: string): boolean {
  const sub = conn.subscriptions.get(subId);
  if (sub === undefined) return false;
  conn.subscriptions.delete(subId);
  ctx.index.remove(conn, subId);
  conn.storedPhaseBytes -= sub.bufferedBytes;
  sub.bufferedBytes = 0;
  // A shared reason: the default one is a new DOMException with a stack trace, and most CLOSEs
  // come after EOSE, when nothing is left to abort.
  sub.abort.abort(SUBSCRIPTION_CLOSED);
  return true;
}

/**
 * CLOSE: stop a subscription. An unknown id is ignored silently: NIP-01 defines no answer to
 * CLOSE, and the subscription may already have ended on its own (ids-only REQ, error).
 */
export function handleClose(ctx: GatewayContext, conn: Connection, subId: string): void {
  dropSubscription(ctx, conn, subId);
}
