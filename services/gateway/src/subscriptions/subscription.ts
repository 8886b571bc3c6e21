import { closedFrame, eoseFrame, eventFrame, type Filter } from '@nrelay/protocol';
import { InvalidQueryError } from '@nrelay/seams/query';
import { QuerySlotTimeout, type ReleaseSlot } from '../query-slots.js';
import { closeSlowConsumer, sendStoredResults } from './backpressure.js';
import { allIdsFound, normaliseLimits, storedFilters } from './filters.js';
import type { SubscriptionContext, SubscriptionOwner } from './owner.js';

/**
 * Where a subscription is in its life:
 * - `registered`: its id is held by the connection (async REQ hooks may still be running); not
 *   in the live index yet.
 * - `stored`: in the live index; its stored results stream (after waiting for a query slot)
 *   while its live matches are buffered.
 * - `live`: EOSE sent, buffered matches flushed; live matches go straight to the socket.
 * - `closed`: CLOSE, replacement, refusal, failure, an ids-only end, or its connection went.
 */
export type SubscriptionState = 'registered' | 'stored' | 'live' | 'closed';

/** A live event that arrived while its subscription was still streaming stored results. */
interface BufferedEvent {
  readonly id: string;
  readonly raw: string;
}

/** How long after EOSE a live event is still checked against the ids sent from storage. */
export const LIVE_DEDUPE_WINDOW_MS = 15_000;

/** Why a subscription's stored query stops when the subscription is closed or replaced. */
const SUBSCRIPTION_CLOSED = new Error('subscription closed');

const NO_IDS: ReadonlySet<string> = new Set<string>();

/** The connection that holds a subscription, as a subscription sees it. */
type Owner = SubscriptionOwner<Subscription>;

/**
 * One REQ of a connection, owning its whole life (docs/architecture.md "REQ orchestration"):
 * registered live FIRST, its live matches buffered while its stored results stream, EOSE, the
 * buffer flushed without the ids already sent, then live, with a dedupe window after EOSE
 * (in a cluster an event's fanout message can arrive after the query returned it). It applies
 * backpressure: stored streaming pauses over SEND_HIGH_WATER_BYTES and gives up (closing the
 * connection 1008) after STALLED_STREAM_TIMEOUT_MS; its buffer counts against the
 * connection's shared SEND_MAX_BUFFERED_BYTES bound, as does the socket for live traffic.
 *
 * Only its own methods change its fields. An idle live subscription keeps its id, filters and
 * state: the query's AbortController, the buffer and the ids sent are dropped when done with.
 */
export class Subscription {
  private phase: SubscriptionState = 'registered';
  /** Aborts the stored-results query; exists only while one may run. */
  private controller: AbortController | undefined;
  private buffer: BufferedEvent[] | undefined;
  /** Sum of `raw.length` over `buffer`, also counted in its owner's `storedPhaseBytes`. */
  private bufferedBytes = 0;
  /** Ids sent from storage or the flushed buffer; dropped once the dedupe window has passed. */
  private sentIds: Set<string> | undefined;
  /** Until when (ms since the epoch) live events are checked against `sentIds`. */
  private dedupeUntil = 0;

  constructor(
    readonly id: string,
    readonly filters: Filter[],
  ) {}

  /** Where this subscription is in its life. */
  get state(): SubscriptionState {
    return this.phase;
  }

  /** Whether it has ended (nothing of it is sent any more). */
  get closed(): boolean {
    return this.phase === 'closed';
  }

  /**
   * registered: holds the id in its connection while asynchronous REQ hooks run, so a CLOSE, a
   * replacing REQ or a disconnect meanwhile closes it like a running subscription.
   */
  hold(conn: Owner): void {
    if (this.phase === 'registered') conn.subscriptions.set(this.id, this);
  }

  /**
   * registered → stored: normalises limits, holds the id, enters the live index FIRST (its
   * matches are buffered from now on), then streams stored results in a query slot.
   */
  open(ctx: SubscriptionContext, conn: Owner): void {
    if (this.phase !== 'registered') return;
    normaliseLimits(this.filters, ctx.config.DEFAULT_LIMIT, ctx.config.MAX_LIMIT);
    this.phase = 'stored';
    conn.subscriptions.set(this.id, this);
    ctx.index.add(conn, this.id, this.filters);
    void this.streamStored(ctx, conn);
  }

  /**
   * A live event matched this subscription (fanout). Returns whether the caller sends it now:
   * in the stored phase it is buffered instead (closing the connection as a slow consumer when
   * its buffers outgrow SEND_MAX_BUFFERED_BYTES); in the dedupe window an event already sent
   * is skipped; a socket holding more than SEND_MAX_BUFFERED_BYTES closes the connection.
   */
  admitLive(ctx: SubscriptionContext, conn: Owner, id: string, raw: string): boolean {
    if (this.phase === 'stored') {
      if (this.buffer === undefined) this.buffer = [{ id, raw }];
      else this.buffer.push({ id, raw });
      this.bufferedBytes += raw.length;
      // One bound for all the stored-phase buffers of a connection, whatever their number.
      if (conn.bufferStoredPhase(raw.length) > ctx.config.SEND_MAX_BUFFERED_BYTES) {
        closeSlowConsumer(ctx, conn, 'stored-phase live buffers full');
      }
      return false;
    }
    if (this.phase !== 'live') return false;
    const sent = this.sentIds;
    if (sent !== undefined) {
      // Shortly after EOSE: skip an event the stored results already carried (late fanout).
      if (Date.now() > this.dedupeUntil) this.sentIds = undefined;
      else if (sent.has(id)) return false;
    }
    if (conn.ws.bufferedAmount > ctx.config.SEND_MAX_BUFFERED_BYTES) {
      closeSlowConsumer(ctx, conn);
      return false;
    }
    return true;
  }

  /**
   * any → closed, for CLOSE, replacement, refusal or failure: leaves the connection's map (if
   * still its entry) and the live index, gives back its buffered bytes and aborts its query
   * (which also takes it out of a query-slot queue). Idempotent.
   */
  close(ctx: SubscriptionContext, conn: Owner): void {
    if (this.phase === 'closed') return;
    if (conn.subscriptions.get(this.id) === this) conn.subscriptions.delete(this.id);
    if (this.phase !== 'registered') ctx.index.remove(conn, this.id);
    conn.bufferStoredPhase(-this.bufferedBytes);
    this.end(SUBSCRIPTION_CLOSED);
  }

  /**
   * any → closed, when the connection goes: the connection forgets its map, its stored-phase
   * byte count and its part of the live index itself. Idempotent.
   */
  end(reason: unknown): void {
    this.phase = 'closed';
    this.buffer = undefined;
    this.bufferedBytes = 0;
    this.sentIds = undefined;
    const controller = this.controller;
    this.controller = undefined;
    // A shared reason: the default one is a new DOMException with a stack trace per abort.
    controller?.abort(reason);
  }

  /**
   * The stored phase, within its connection's share of the query pool: waits for a query slot
   * (fair between connections, QuerySlots), holds it while it streams and gives it back when
   * the stream ends, fails or is aborted; then EOSE.
   */
  private async streamStored(ctx: SubscriptionContext, conn: Owner): Promise<void> {
    const filters = storedFilters(this.filters);
    if (filters.length > 0) {
      const controller = new AbortController();
      this.controller = controller;
      const signal = controller.signal;
      let release: ReleaseSlot | undefined;
      try {
        release = await ctx.slots.acquire(conn, signal);
        if (signal.aborted) return;
        const request = { v: 1 as const, filters, viewer: { authedPubkeys: [...conn.authedPubkeys] } };
        const sent = new Set<string>();
        this.sentIds = sent;
        if (!(await sendStoredResults(ctx, conn, this.id, request, signal, sent))) return;
      } catch (err) {
        if (signal.aborted) return;
        this.fail(ctx, conn, err);
        return;
      } finally {
        release?.();
      }
    }
    if (this.phase === 'stored') this.finishStored(ctx, conn);
  }

  /** stored → closed on a failed stored phase: CLOSED with a prefixed reason. */
  private fail(ctx: SubscriptionContext, conn: Owner, err: unknown): void {
    this.close(ctx, conn);
    if (err instanceof QuerySlotTimeout) {
      conn.logger.warn({ subId: this.id, waitMs: ctx.config.QUERY_SLOT_TIMEOUT_MS }, 'no query slot');
      conn.send('CLOSED', closedFrame(this.id, `error: relay busy: ${err.message}, try again later`));
      return;
    }
    if (err instanceof InvalidQueryError) {
      conn.send('CLOSED', closedFrame(this.id, `invalid: ${err.message}`));
      return;
    }
    conn.logger.warn({ err, subId: this.id }, 'stored query failed');
    conn.send('CLOSED', closedFrame(this.id, 'error: could not query stored events'));
  }

  /**
   * stored → live (or → closed for an ids-only REQ that found everything): EOSE, then the
   * buffered live events not already sent, then the dedupe window.
   */
  private finishStored(ctx: SubscriptionContext, conn: Owner): void {
    conn.send('EOSE', eoseFrame(this.id));
    // The query is over: nothing left to abort.
    this.controller = undefined;
    if (allIdsFound(this.filters, this.sentIds ?? NO_IDS)) {
      this.close(ctx, conn);
      return;
    }
    const buffer = this.buffer;
    if (buffer !== undefined) {
      const sent = this.sentIds ?? new Set<string>();
      this.sentIds = sent;
      for (const buffered of buffer) {
        if (sent.has(buffered.id)) continue;
        sent.add(buffered.id);
        conn.send('EVENT', eventFrame(this.id, buffered.raw));
      }
      this.buffer = undefined;
      conn.bufferStoredPhase(-this.bufferedBytes);
      this.bufferedBytes = 0;
    }
    this.phase = 'live';
    if (this.sentIds !== undefined && this.sentIds.size === 0) this.sentIds = undefined;
    // Kept for a while: a late fanout message of an event already sent from storage is skipped.
    this.dedupeUntil = Date.now() + LIVE_DEDUPE_WINDOW_MS;
  }
}
