import { mayReceivePrivileged, privilegedKindsOf } from '@nrelay/access';
import { eventFrame } from '@nrelay/protocol';
import type { FanoutMessage } from '@nrelay/seams/fanout';
import type { GatewayContext } from './context.js';
import { corkUntilNextTick } from './cork.js';
import { AUTH_KIND } from './handlers/event.js';

/**
 * Builds the single fanout handler of a gateway: every accepted event is matched against the
 * live index; each outgoing EVENT frame is built once per subscription id and reused for every
 * recipient with that id. Each matched `Subscription` decides (`admitLive`): still streaming
 * stored results it buffers the event (deduplicated at EOSE), in its dedupe window it skips one
 * already sent, and a recipient holding more than SEND_MAX_BUFFERED_BYTES, in its socket or in
 * the stored-phase buffers of all its subscriptions together, is closed as a slow consumer.
 * An event of a PRIVILEGED_KINDS kind reaches only connections authenticated (at delivery
 * time) as its author or a `p`-tagged pubkey; other kinds pay one set lookup.
 */
export function createFanoutDelivery(ctx: GatewayContext): (message: FanoutMessage) => void {
  // Reused across deliveries (cleared after each) so a delivery allocates only the frames.
  const frames = new Map<string, Buffer>();
  const privilegedKinds = privilegedKindsOf(ctx.config);
  return function deliver(message) {
    const event = message.event;
    // NIP-42: AUTH events are never relayed, even if something upstream published one.
    if (event.kind === AUTH_KIND || ctx.index.size === 0) return;
    const privileged = privilegedKinds.has(event.kind);
    const matches = ctx.index.match(event);
    for (const { connection, subId } of matches) {
      const sub = connection.subscriptions.get(subId);
      if (sub === undefined) continue;
      // Checked before buffering too: a stored-phase buffer is flushed to the socket at EOSE.
      if (privileged && !mayReceivePrivileged(event, connection.authedPubkeys)) continue;
      // Buffered in the stored phase, skipped in the dedupe window or for a slow consumer.
      if (!sub.admitLive(ctx, connection, event.id, message.raw)) continue;
      let frame = frames.get(subId);
      if (frame === undefined) {
        frame = Buffer.from(eventFrame(subId, message.raw));
        frames.set(subId, frame);
      }
      // The events of one Redis message (a store batch) reach a connection in one write.
      corkUntilNextTick(connection.ws);
      connection.send('EVENT', frame);
    }
    frames.clear();
  };
}
