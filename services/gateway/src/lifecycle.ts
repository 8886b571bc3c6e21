import type { Connection } from './connection.js';
import type { GatewayContext } from './context.js';

/** WebSocket close code for a slow consumer (policy violation). */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;

/**
 * Ends every subscription of a connection: aborts stored-result queries and in-flight COUNTs and
 * empties its part of the live index. Idempotent; the socket itself is left alone.
 */
export function releaseConnection(ctx: GatewayContext, conn: Connection): void {
  conn.release();
  ctx.index.removeConnection(conn);
}

/**
 * Closes a connection whose outbound buffer outgrew SEND_MAX_BUFFERED_BYTES: it stops receiving
 * at once (its subscriptions go) and is told why with close code 1008 `slow consumer`.
 */
export function closeSlowConsumer(ctx: GatewayContext, conn: Connection): void {
  if (!conn.open) return;
  ctx.counters.slowConsumerDisconnects++;
  conn.logger.warn({ bufferedAmount: conn.ws.bufferedAmount }, 'closing slow consumer');
  releaseConnection(ctx, conn);
  conn.close(SLOW_CONSUMER_CLOSE_CODE, 'slow consumer');
}
