import type { SubscriptionContext, SubscriptionOwner } from './subscriptions/owner.js';

/**
 * Ends every subscription of a connection: aborts stored-result queries and in-flight COUNTs and
 * empties its part of the live index. Idempotent; the socket itself is left alone. A slow
 * consumer is closed by `subscriptions/backpressure.ts`.
 */
export function releaseConnection(ctx: SubscriptionContext, conn: SubscriptionOwner): void {
  conn.release();
  ctx.index.removeConnection(conn);
}
