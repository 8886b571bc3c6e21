import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';

/**
 * Ends one subscription of a connection (`Subscription.close`: its stored-results query is
 * aborted, it leaves the live index). Returns whether there was such a subscription.
 */
export function dropSubscription(ctx: GatewayContext, conn: Connection, subId: string): boolean {
  const sub = conn.subscriptions.get(subId);
  if (sub === undefined) return false;
  sub.close(ctx, conn);
  return true;
}

/**
 * CLOSE: stop a subscription. An unknown id is ignored silently: NIP-01 defines no answer to
 * CLOSE, and the subscription may already have ended on its own (ids-only REQ, error).
 */
export function handleClose(ctx: GatewayContext, conn: Connection, subId: string): void {
  dropSubscription(ctx, conn, subId);
}
