import { eventFrame } from '@nrelay/protocol';
import type { QueryRequest } from '@nrelay/seams/query';
import { corkUntilNextTick } from '../cork.js';
import { releaseConnection } from '../lifecycle.js';
import { rawEventId } from '../raw-id.js';
import type { SubscriptionContext, SubscriptionOwner } from './owner.js';

/** WebSocket close code for a slow consumer (policy violation). */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;

/**
 * Closes a connection that does not keep up: its outbound buffer or its stored-phase live
 * buffers outgrew SEND_MAX_BUFFERED_BYTES, or a stored stream stayed paused for
 * STALLED_STREAM_TIMEOUT_MS. It stops receiving at once (its subscriptions and queries go) and
 * is told why with close code 1008 `slow consumer`; `why` is logged.
 */
export function closeSlowConsumer(
  ctx: SubscriptionContext,
  conn: SubscriptionOwner,
  why = 'send buffer full',
): void {
  if (!conn.open) return;
  ctx.counters.slowConsumerDisconnects++;
  conn.logger.warn(
    { bufferedAmount: conn.ws.bufferedAmount, storedPhaseBytes: conn.storedPhaseBytes, why },
    'closing slow consumer',
  );
  releaseConnection(ctx, conn);
  conn.close(SLOW_CONSUMER_CLOSE_CODE, 'slow consumer');
}

/**
 * Streams one stored query's results to subscription `subId`, adding each id sent to `sent`.
 * Backpressure: while the socket holds at most SEND_HIGH_WATER_BYTES frames go out at once;
 * past it the stream waits until the frame reached the kernel, but not for longer than
 * STALLED_STREAM_TIMEOUT_MS: then the client is closed as a slow consumer. Leaving the loop
 * ends the query (its socket or page is released). Returns false when it stopped early
 * (`signal` aborted, or the client stalled).
 */
export async function sendStoredResults(
  ctx: SubscriptionContext,
  conn: SubscriptionOwner,
  subId: string,
  request: QueryRequest,
  signal: AbortSignal,
  sent: Set<string>,
): Promise<boolean> {
  const highWater = ctx.config.SEND_HIGH_WATER_BYTES;
  const stallMs = ctx.config.STALLED_STREAM_TIMEOUT_MS;
  for await (const batch of ctx.query.query(request, signal)) {
    for (const raw of batch) {
      if (signal.aborted) return false;
      const id = rawEventId(raw);
      if (id !== undefined) sent.add(id);
      const frame = eventFrame(subId, raw);
      // Results that arrive together (one batch) leave in one write.
      corkUntilNextTick(conn.ws);
      if (conn.ws.bufferedAmount <= highWater) {
        conn.send('EVENT', frame);
        continue;
      }
      if (await conn.sendAndFlush('EVENT', frame, stallMs)) continue;
      if (!signal.aborted) closeSlowConsumer(ctx, conn, `stored results not read for ${stallMs} ms`);
      return false;
    }
  }
  return !signal.aborted;
}
