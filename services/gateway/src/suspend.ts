import { setTimeout as sleep } from 'node:timers/promises';
import { closedFrame, noticeFrame } from '@nrelay/protocol';
import type { Logger } from 'pino';
import type { GatewayContext } from './context.js';
import { dropSubscription } from './handlers/close.js';
import type { ConnectionRegistry } from './registry.js';

/** What a suspended gateway tells its clients (see `Gateway.suspend`). */
export interface SuspendNotice {
  /** The reason of each subscription's CLOSED, with its NIP-01 prefix (`error: …`). */
  closed: string;
  /** The NOTICE each connection gets before the close. */
  notice: string;
  /** The WebSocket close reason (at most 123 bytes) and the body of a refused upgrade. */
  close: string;
}

/** How often a suspended gateway looks for connections whose EVENTs in flight were answered. */
const SUSPEND_POLL_MS = 100;

/** What `closeSuspended` works on: the gateway's context, its connections and its logger. */
interface SuspendParts {
  ctx: GatewayContext;
  registry: ConnectionRegistry;
  logger: Logger;
}

/**
 * `Gateway.suspend`'s work: every subscription gets CLOSED and every connection a NOTICE; each
 * connection is closed with 1001 once its EVENTs in flight are answered, the rest at the deadline
 * (`graceMs`). Resolves with the number of connections it found.
 */
export async function closeSuspended(
  { ctx, registry, logger }: SuspendParts,
  why: SuspendNotice,
  graceMs: number,
): Promise<number> {
  const deadline = Date.now() + graceMs;
  const handshakeAllowance = Math.min(1000, graceMs / 4);
  const count = registry.size;
  logger.warn({ connections: count, pendingSubmits: ctx.pending.size }, `gateway suspended: ${why.close}`);
  const notice = noticeFrame(why.notice);
  registry.forEach((conn) => {
    // Copied: dropping a subscription removes it from the map.
    for (const subId of [...conn.subscriptions.keys()]) {
      dropSubscription(ctx, conn, subId);
      conn.send('CLOSED', closedFrame(subId, why.closed));
    }
    conn.send('NOTICE', notice);
  });
  while (registry.closeAnswered(1001, why.close) > 0 && Date.now() < deadline - handshakeAllowance) {
    await sleep(SUSPEND_POLL_MS);
  }
  await registry.closeAll(1001, why.close, deadline - Date.now());
  return count;
}
