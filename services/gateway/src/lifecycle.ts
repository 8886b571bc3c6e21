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
 * Closes a connection that does not keep up: its outbound buffer or its stored-phase live
 * buffers outgrew SEND_MAX_BUFFERED_BYTES, or a stored stream stayed paused for
 * STALLED_STREAM_TIMEOUT_MS. It stops receiving at once (its subscriptions and queries go) and
 * is told why with close code 1008 `slow consumer`; `why` is logged.
 */
export function closeSlowConsumer(ctx: GatewayContext, conn: Connection, why = 'send buffer full'): void {
  if (!conn.open) return;
  ctx.counters.slowConsumerDisconnects++;
  conn.logger.warn(
    { bufferedAmount: conn.ws.bufferedAmount, storedPhaseBytes: conn.storedPhaseBytes, why },
    'closing slow consumer',
  );
  releaseConnection(ctx, conn);
  conn.close(SLOW_CONSUMER_CLOSE_CODE, 'slow consumer');
}
