import { mayReceivePrivileged, privilegedKindsOf } from '@nrelay/access';
import type { FanoutMessage } from '@nrelay/contracts';
import { eventFrame } from '@nrelay/protocol';
import type { GatewayContext } from './context.js';
import { corkUntilNextTick } from './cork.js';
import { AUTH_KIND } from './handlers/event.js';
import { closeSlowConsumer } from './lifecycle.js';

/**
 * Builds the single fanout handler of a gateway: every accepted event is matched against the
 * live index; each outgoing EVENT frame is built once per subscription id and reused for every
 * recipient with that id. Subscriptions still streaming stored results buffer the event
 * instead (deduplicated at EOSE). A recipient already holding more than
 * SEND_MAX_BUFFERED_BYTES, in its socket or in the stored-phase buffers of all its
 * subscriptions together, is closed as a slow consumer.
 * An event of a PRIVILEGED_KINDS kind reaches only connections authenticated (at delivery
 * time) as its author or a `p`-tagged pubkey; other kinds pay one set lookup.
 */
export function createFanoutDelivery(ctx: GatewayContext): (message: FanoutMessage) => void {
  const maxBuffered = ctx.config.SEND_MAX_BUFFERED_BYTES;
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
      if (sub.phase === 'stored') {
        sub.buffer.push({ id: event.id, raw: message.raw });
        sub.bufferedBytes += message.raw.length;
        // One bound for all the stored-phase buffers of a connection, whatever their number.
        connection.storedPhaseBytes += message.raw.length;
        if (connection.storedPhaseBytes > maxBuffered) {
          closeSlowConsumer(ctx, connection, 'stored-phase live buffers full');
        }
        continue;
      }
      if (sub.sentIds.size > 0) {
        // Shortly after EOSE: skip an event the stored results already carried (late fanout).
        if (Date.now() > sub.dedupeUntil) sub.sentIds.clear();
        else if (sub.sentIds.has(event.id)) continue;
      }
      if (connection.ws.bufferedAmount > maxBuffered) {
        closeSlowConsumer(ctx, connection);
        continue;
      }
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
