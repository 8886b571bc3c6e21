import { hasValidId, okFrame, type RawEvent } from '@nrelay/protocol';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { firstRejection } from '../hooks.js';

/** Kind of NIP-42 AUTH events: they travel with the AUTH verb and are never stored or relayed. */
export const AUTH_KIND = 22242;

/**
 * Answers the rejection if a `reject*` hook asked for authentication, sending the NIP-42
 * challenge first when it has not gone out yet.
 */
export function challengeIfAuthRequired(conn: Connection, reason: string): void {
  if (reason.startsWith('auth-required:')) conn.sendChallenge();
}

/**
 * EVENT: cheap gateway checks (id, AUTH kind, hooks), then hand-off to ingest. Exactly one OK
 * is sent per EVENT, whatever happens; signature verification and policy belong to ingest.
 */
export function handleEvent(ctx: GatewayContext, conn: Connection, raw: RawEvent, receivedAt: number): void {
  const event = raw.event;
  if (!hasValidId(event)) {
    conn.send('OK', okFrame(event.id, false, 'invalid: event id does not match'));
    return;
  }
  if (event.kind === AUTH_KIND) {
    conn.send(
      'OK',
      okFrame(event.id, false, 'invalid: kind 22242 AUTH events must be sent with the AUTH verb'),
    );
    return;
  }
  if (ctx.hooks.rejectEvent.length > 0) {
    const reason = firstRejection(ctx.hooks.rejectEvent, event, conn);
    if (reason !== undefined) {
      challengeIfAuthRequired(conn, reason);
      conn.send('OK', okFrame(event.id, false, reason));
      return;
    }
  }
  void submit(ctx, conn, raw, receivedAt);
}

async function submit(
  ctx: GatewayContext,
  conn: Connection,
  raw: RawEvent,
  receivedAt: number,
): Promise<void> {
  ctx.pending.start();
  conn.pendingSubmits++;
  let frame: string;
  try {
    const result = await ctx.ingest.submit({
      v: 1,
      event: raw,
      receivedAt,
      gatewayId: ctx.gatewayId,
      connectionId: conn.id,
      authedPubkeys: [...conn.authedPubkeys],
    });
    frame = okFrame(raw.event.id, result.ok, result.reason);
  } catch (err) {
    conn.logger.error({ err, eventId: raw.event.id, kind: raw.event.kind }, 'ingest submit failed');
    frame = okFrame(raw.event.id, false, 'error: could not store the event, try again later');
  } finally {
    conn.pendingSubmits--;
  }
  conn.send('OK', frame);
  ctx.pending.finish();
}
