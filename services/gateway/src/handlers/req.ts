import { InvalidQueryError, type QueryRequest } from '@nrelay/contracts';
import { closedFrame, eoseFrame, eventFrame, type Filter } from '@nrelay/protocol';
import { type Connection, LIVE_DEDUPE_WINDOW_MS, type Subscription } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { corkUntilNextTick } from '../cork.js';
import { allIdsFound, applyFilterHooks, normaliseLimits } from '../filter-hooks.js';
import { closeSlowConsumer } from '../lifecycle.js';
import { QuerySlotTimeout, type ReleaseSlot } from '../query-slots.js';
import { rawEventId } from '../raw-id.js';
import { dropSubscription } from './close.js';
import { challengeIfAuthRequired } from './event.js';

/**
 * REQ, in the order that loses nothing in a cluster: validate; replace a subscription with the
 * same id; register the LIVE subscription in the index first (its live matches are buffered);
 * stream stored results straight to the socket; EOSE; flush buffered live events not already
 * sent; go live. See ARCHITECTURE.md "REQ".
 *
 * When a hook answers asynchronously, the subscription id is held (in `conn.subscriptions`, not
 * yet in the index) while it runs, so a CLOSE, a replacing REQ or a disconnect in the meantime
 * cancels it exactly as it would cancel a running subscription.
 */
export function handleReq(ctx: GatewayContext, conn: Connection, subId: string, filters: Filter[]): void {
  // A reused id replaces the old subscription, which therefore does not count against the limit.
  dropSubscription(ctx, conn, subId);
  const max = ctx.config.MAX_SUBSCRIPTIONS;
  // COUNTs in flight hold an id too (NIP-45): they count against the same limit.
  if (conn.subscriptions.size + conn.pendingCounts >= max) {
    conn.send('CLOSED', closedFrame(subId, `restricted: too many subscriptions (max ${max})`));
    return;
  }
  const verdict = applyFilterHooks(ctx, conn, filters);
  if (verdict === undefined) {
    openSubscription(ctx, conn, newSubscription(subId, filters));
    return;
  }
  if (typeof verdict === 'string') {
    refuseReq(conn, subId, verdict);
    return;
  }
  const sub = newSubscription(subId, filters);
  conn.subscriptions.set(subId, sub);
  void verdict
    .then((reason) => {
      // Closed, replaced or disconnected while the hooks ran: nothing to answer.
      if (sub.abort.signal.aborted) return;
      if (reason === undefined) return openSubscription(ctx, conn, sub);
      conn.subscriptions.delete(subId);
      refuseReq(conn, subId, reason);
    })
    .catch((err: unknown) => {
      conn.logger.error({ err, subId }, 'REQ failed after its hooks');
      if (conn.subscriptions.get(subId) !== sub) return;
      dropSubscription(ctx, conn, subId);
      conn.send('CLOSED', closedFrame(subId, 'error: internal error'));
    });
}

function newSubscription(id: string, filters: Filter[]): Subscription {
  return {
    id,
    filters,
    abort: new AbortController(),
    phase: 'stored',
    buffer: [],
    bufferedBytes: 0,
    sentIds: new Set(),
    dedupeUntil: 0,
  };
}

function refuseReq(conn: Connection, subId: string, reason: string): void {
  challengeIfAuthRequired(conn, reason);
  conn.send('CLOSED', closedFrame(subId, reason));
}

/** Registers the live subscription first, then streams its stored results. */
function openSubscription(ctx: GatewayContext, conn: Connection, sub: Subscription): void {
  normaliseLimits(sub.filters, ctx.config.DEFAULT_LIMIT, ctx.config.MAX_LIMIT);
  conn.subscriptions.set(sub.id, sub);
  ctx.index.add(conn, sub.id, sub.filters);
  void streamStored(ctx, conn, sub);
}

/** The filters that can return stored events (`limit: 0` ones only listen live). */
function storedFilters(filters: readonly Filter[]): Filter[] {
  const out: Filter[] = [];
  for (const filter of filters) if (filter.limit !== 0) out.push(filter);
  return out;
}

/**
 * Streams the stored results of one subscription within its connection's share of the query
 * pool: it waits for a query slot (fair between connections, QuerySlots), holds it while it
 * streams, and gives it back when the stream ends, fails or is aborted. A stream that stays
 * paused over SEND_HIGH_WATER_BYTES for STALLED_STREAM_TIMEOUT_MS (the client does not read)
 * aborts its query and closes the connection as a slow consumer.
 */
async function streamStored(ctx: GatewayContext, conn: Connection, sub: Subscription): Promise<void> {
  const signal = sub.abort.signal;
  const filters = storedFilters(sub.filters);
  if (filters.length > 0) {
    let release: ReleaseSlot | undefined;
    try {
      release = await ctx.slots.acquire(conn, signal);
      if (signal.aborted) return;
      const request = { v: 1 as const, filters, viewer: { authedPubkeys: [...conn.authedPubkeys] } };
      if (!(await sendStored(ctx, conn, sub, request))) return;
    } catch (err) {
      if (signal.aborted) return;
      dropSubscription(ctx, conn, sub.id);
      if (err instanceof QuerySlotTimeout) {
        conn.logger.warn({ subId: sub.id, waitMs: ctx.config.QUERY_SLOT_TIMEOUT_MS }, 'no query slot');
        conn.send('CLOSED', closedFrame(sub.id, `error: relay busy: ${err.message}, try again later`));
        return;
      }
      if (err instanceof InvalidQueryError) {
        conn.send('CLOSED', closedFrame(sub.id, `invalid: ${err.message}`));
        return;
      }
      conn.logger.warn({ err, subId: sub.id }, 'stored query failed');
      conn.send('CLOSED', closedFrame(sub.id, 'error: could not query stored events'));
      return;
    } finally {
      release?.();
    }
  }
  if (signal.aborted) return;
  finishStored(ctx, conn, sub);
}

/** Sends one query's results; false when it stopped early (aborted, or the client stalled). */
async function sendStored(
  ctx: GatewayContext,
  conn: Connection,
  sub: Subscription,
  request: QueryRequest,
): Promise<boolean> {
  const signal = sub.abort.signal;
  const highWater = ctx.config.SEND_HIGH_WATER_BYTES;
  const stallMs = ctx.config.STALLED_STREAM_TIMEOUT_MS;
  for await (const batch of ctx.query.query(request, signal)) {
    for (const raw of batch) {
      if (signal.aborted) return false;
      const id = rawEventId(raw);
      if (id !== undefined) sub.sentIds.add(id);
      const frame = eventFrame(sub.id, raw);
      // Results that arrive together (one batch) leave in one write.
      corkUntilNextTick(conn.ws);
      if (conn.ws.bufferedAmount <= highWater) {
        conn.send('EVENT', frame);
        continue;
      }
      // Backpressure: past the high-water mark, wait until this frame reached the kernel, but
      // not for ever: leaving the loop ends the query (its socket or page is released).
      if (await conn.sendAndFlush('EVENT', frame, stallMs)) continue;
      if (!signal.aborted) closeSlowConsumer(ctx, conn, `stored results not read for ${stallMs} ms`);
      return false;
    }
  }
  return !signal.aborted;
}

/** EOSE, then either end an ids-only subscription that found everything or flush and go live. */
function finishStored(ctx: GatewayContext, conn: Connection, sub: Subscription): void {
  conn.send('EOSE', eoseFrame(sub.id));
  if (allIdsFound(sub.filters, sub.sentIds)) {
    conn.subscriptions.delete(sub.id);
    ctx.index.remove(conn, sub.id);
    return;
  }
  const sent = sub.sentIds;
  for (const buffered of sub.buffer) {
    if (sent.has(buffered.id)) continue;
    sent.add(buffered.id);
    conn.send('EVENT', eventFrame(sub.id, buffered.raw));
  }
  sub.phase = 'live';
  sub.buffer = [];
  conn.storedPhaseBytes -= sub.bufferedBytes;
  sub.bufferedBytes = 0;
  // Kept for a while: a late fanout message of an event already sent from storage is skipped.
  sub.dedupeUntil = Date.now() + LIVE_DEDUPE_WINDOW_MS;
}
