import type { Connection } from './connection.js';
import type { GatewayContext } from './context.js';

/**
 * Ends every subscription of a connection: aborts stored-result queries and in-flight COUNTs and
 * empties its part of the live index. Idempotent; the socket itself is left alone. A slow
 * consumer is closed by `subscriptions/backpressure.ts`.
 */
export function releaseConnection(ctx: GatewayContext, conn: Connection): void {
  conn.release();
  ctx.index.removeConnection(conn);
}
