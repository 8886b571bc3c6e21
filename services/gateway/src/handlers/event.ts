import { setMaxListeners } from 'node:events';
import { hasValidId, okFrame, type RawEvent, VANISH_KIND } from '@nrelay/protocol';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { corkUntilNextTick } from '../cork.js';
import { firstRejection } from '../hooks.js';

/** Kind of NIP-42 AUTH events: they travel with the AUTH verb and are never stored or relayed. */
export const AUTH_KIND = 22242;

/** The OK of an EVENT that arrives once the gateway is draining: never submitted. */
export const SHUTTING_DOWN_REASON = 'error: shutting down, not stored, try again later';

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
  if (ctx.pending.draining) {
    // Submitted now, it could be stored after shutdown stopped waiting for OKs (issue 10, defect 10).
    conn.send('OK', okFrame(event.id, false, SHUTTING_DOWN_REASON));
    return;
  }
  if (ctx.hooks.rejectEvent.length > 0) {
    const verdict = firstRejection(ctx.hooks.rejectEvent, event, conn, conn);
    if (verdict !== undefined) {
      if (typeof verdict === 'string') refuseEvent(conn, event.id, verdict);
      else void submitAfter(verdict, ctx, conn, raw, receivedAt);
      return;
    }
  }
  void submit(ctx, conn, raw, receivedAt);
}

function refuseEvent(conn: Connection, eventId: string, reason: string): void {
  challengeIfAuthRequired(conn, reason);
  conn.send('OK', okFrame(eventId, false, reason));
}

/**
 * The asynchronous side of `rejectEvent` (e.g. a Redis rate limit): counted as pending, so a
 * graceful shutdown still answers the EVENT, and answered with exactly one OK either way.
 */
async function submitAfter(
  verdict: Promise<string | undefined>,
  ctx: GatewayContext,
  conn: Connection,
  raw: RawEvent,
  receivedAt: number,
): Promise<void> {
  ctx.pending.start();
  // Counted from here: a suspended gateway closes the connection only once it is answered.
  conn.pendingSubmits++;
  try {
    // firstRejection catches hook failures (logger given), so this never rejects.
    const reason = await verdict;
    if (reason === undefined) await submit(ctx, conn, raw, receivedAt);
    else refuseEvent(conn, raw.event.id, reason);
  } finally {
    conn.pendingSubmits--;
    ctx.pending.finish();
  }
}

/**
 * The gateway waits for the answer of every EVENT it submitted, even once its connection is gone:
 * the event may be stored, and a drain counts it (ctx.pending). So nothing aborts a submit. Every
 * submit in flight listens on this one signal, so it may have any number of listeners.
 */
const AWAIT_EVERY_OK = new AbortController().signal;
setMaxListeners(0, AWAIT_EVERY_OK);

async function submit(
  ctx: GatewayContext,
  conn: Connection,
  raw: RawEvent,
  receivedAt: number,
): Promise<void> {
  ctx.pending.start();
  conn.pendingSubmits++;
  let frame: string;
  const request: IngestRequest = {
    v: 1,
    event: raw,
    receivedAt,
    gatewayId: ctx.gatewayId,
    connectionId: conn.id,
    authedPubkeys: [...conn.authedPubkeys],
  };
  // Ingest applies a request to vanish only when its relay tag names the URL the client knows us by.
  const relayUrl = ctx.config.RELAY_URL || conn.connectUrl;
  if (raw.event.kind === VANISH_KIND && relayUrl) request.relayUrl = relayUrl;
  try {
    const result = await ctx.ingest.submit(request, AWAIT_EVERY_OK);
    frame = okFrame(raw.event.id, result.ok, result.reason);
  } catch (err) {
    conn.logger.error({ err, eventId: raw.event.id, kind: raw.event.kind }, 'ingest submit failed');
    frame = okFrame(raw.event.id, false, 'error: could not store the event, try again later');
  } finally {
    conn.pendingSubmits--;
  }
  // The OKs of one ingest reply message leave in one write per connection.
  corkUntilNextTick(conn.ws);
  conn.send('OK', frame);
  ctx.pending.finish();
}
