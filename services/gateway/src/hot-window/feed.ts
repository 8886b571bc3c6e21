/**
 * Keeps a gateway's hot window in step with the store (ADR 0018): warms it from the query
 * service, feeds it every event of the fanout stream, and marks it cold, then warms it again,
 * whenever it may have diverged:
 * - a fanout gap (the Redis subscriber dropped: what is published until it is back is lost);
 * - an access-control change (NIP-86 bans and quarantine remove stored events without
 *   publishing anything; the access bus also announces one after its own reconnect), or an
 *   `events` announcement (stored events written outside the ingest path: an import, SQL);
 * - an event the store kept that the window itself refuses (`deleted`, `replaced-older`: the
 *   store changed behind the feed, e.g. the expiry purge removed a newer, expired version).
 *
 * The warm-up reads the store's newest events, privileged kinds included, in one streaming
 * `unrestricted` read (not capped by MAX_LIMIT), until the budget is full or the store is
 * exhausted. The fanout subscription is open before the first read, so an event
 * committed after the read's snapshot is published after it: events that arrive during the
 * warm-up are held, then applied in order once the window is warm. One committed before the
 * snapshot is already in it (a duplicate, or refused because the snapshot holds its
 * replacement or deletion: expected there, so such refusals do not mark the window cold).
 */
import type { AccessChange } from '@nrelay/access';
import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import type { FanoutBus, FanoutContinuity, FanoutMessage } from '@nrelay/seams/fanout';
import type { QueryClient } from '@nrelay/seams/query';
import { estimatedCost } from './contents.js';
import type { HotWindow } from './window.js';

/** The few logger methods the feed uses (a pino logger fits). */
export interface HotWindowFeedLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** What a feed keeps a window in step with. */
export interface HotWindowFeedOptions {
  window: HotWindow;
  /** The gateway's query client, undecorated: the warm-up reads the store through it. */
  query: QueryClient;
  fanout: Pick<FanoutBus, 'subscribe' | 'watchContinuity'>;
  accessChanges: { subscribe(handler: (change: AccessChange) => void): () => void };
  /** The window's budget: the warm-up reads until its events would fill it. */
  budgetBytes: number;
  logger: HotWindowFeedLogger;
  /** Backoff between failed warm-ups, in ms (doubling from `min` up to `max`). */
  retryMs?: { min: number; max: number };
  /**
   * Most events held while a warm-up reads; past it, or past half the budget in raw bytes, the
   * warm-up starts over (a warm-up that cannot keep up with the stream must not hold it all).
   */
  maxHeld?: number;
}

/** Counters of a feed, exported as metrics. */
export interface HotWindowFeedStats {
  warmups: number;
  warmupFailures: number;
  /** Times the window was marked cold after being warm (or while warming). */
  colds: number;
  /** Milliseconds the last successful warm-up took. */
  lastWarmupMs: number;
}

const DEFAULT_RETRY_MS = { min: 1000, max: 30_000 };
/** The warm-up's one read: newer events than this many never fit a budget. */
const WARM_READ_LIMIT = 1_000_000_000;
/** Why a warm-up read is stopped early: the budget is full. */
const BUDGET_FULL = new Error('the hot window budget is full');
const DEFAULT_MAX_HELD = 200_000;

interface Warmup {
  readonly controller: AbortController;
  readonly held: FanoutMessage[];
  heldBytes: number;
}

/** See the module comment. `start()` subscribes and begins the first warm-up. */
export class HotWindowFeed {
  readonly #o: HotWindowFeedOptions;
  readonly #retry: { min: number; max: number };
  readonly #maxHeld: number;
  readonly #stats: HotWindowFeedStats = { warmups: 0, warmupFailures: 0, colds: 0, lastWarmupMs: 0 };
  #unsubscribe: Array<() => void> = [];
  #warmup: Warmup | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay: number;
  #gap = false;
  #closed = false;

  constructor(options: HotWindowFeedOptions) {
    this.#o = options;
    this.#retry = options.retryMs ?? DEFAULT_RETRY_MS;
    this.#retryDelay = this.#retry.min;
    this.#maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD;
  }

  get stats(): Readonly<HotWindowFeedStats> {
    return this.#stats;
  }

  /** True while a warm-up is reading the store. */
  get warming(): boolean {
    return this.#warmup !== undefined;
  }

  /** Call once the fanout subscription is live (nothing published later is missed). */
  start(): void {
    if (this.#closed || this.#unsubscribe.length > 0) return;
    this.#unsubscribe = [
      this.#o.fanout.subscribe((message) => this.#onMessage(message)),
      this.#o.fanout.watchContinuity((state) => this.#onContinuity(state)),
      this.#o.accessChanges.subscribe((change) => {
        if (change.what === 'acl') this.markCold('an access-control change (bans, quarantine)');
        if (change.what === 'events') this.markCold('stored events written outside the ingest path');
      }),
    ];
    this.#beginWarmup();
  }

  /** Drops the window's contents and warms it again (at once, unless a fanout gap is open). */
  markCold(reason: string): void {
    if (this.#closed) return;
    if (this.#o.window.state === 'hot' || this.#warmup !== undefined) this.#stats.colds++;
    this.#o.window.markCold(reason);
    this.#o.logger.info({ reason }, 'hot window cold; warming it again');
    this.#beginWarmup();
  }

  close(): void {
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#abortWarmup();
    clearTimeout(this.#retryTimer);
    this.#o.window.markCold('gateway closed');
  }

  #onMessage(message: FanoutMessage): void {
    const warmup = this.#warmup;
    if (warmup !== undefined) {
      warmup.held.push(message);
      warmup.heldBytes += message.raw.length;
      if (warmup.held.length > this.#maxHeld || warmup.heldBytes > this.#o.budgetBytes / 2) {
        this.markCold('too many events arrived during the warm-up');
      }
      return;
    }
    const outcome = this.#o.window.add(message.event, message.raw);
    if (outcome === 'deleted' || outcome === 'replaced-older') {
      this.markCold(`the store kept event ${message.event.id} that the window refuses (${outcome})`);
    }
  }

  #onContinuity(state: FanoutContinuity): void {
    if (state === 'broken') {
      this.#gap = true;
      this.markCold('a fanout gap (the Redis subscriber dropped)');
    } else {
      // Cold again even without a `broken` first: whatever was missed is unknown.
      this.#gap = false;
      this.markCold('the fanout subscription is back after a gap');
    }
  }

  #abortWarmup(): void {
    this.#warmup?.controller.abort(new Error('warm-up superseded'));
    this.#warmup = undefined;
  }

  #beginWarmup(): void {
    this.#abortWarmup();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // During a gap the warm-up waits for the fanout to be back: it would miss what is lost.
    if (this.#closed || this.#gap) return;
    const warmup: Warmup = { controller: new AbortController(), held: [], heldBytes: 0 };
    this.#warmup = warmup;
    void this.#runWarmup(warmup);
  }

  async #runWarmup(warmup: Warmup): Promise<void> {
    const started = performance.now();
    try {
      const { events, complete } = await this.#readNewest(warmup.controller.signal);
      if (this.#warmup !== warmup) return;
      const window = this.#o.window;
      window.warm(events, { complete });
      // Refusals here are events the snapshot already reflects (see the module comment).
      for (const message of warmup.held) window.add(message.event, message.raw);
      this.#warmup = undefined;
      this.#retryDelay = this.#retry.min;
      this.#stats.warmups++;
      this.#stats.lastWarmupMs = Math.round(performance.now() - started);
      this.#o.logger.info(
        {
          events: window.size,
          bytes: window.bytes,
          floor: Number.isFinite(window.floor) ? window.floor : 'all stored events',
          heldDuringWarmup: warmup.held.length,
          ms: this.#stats.lastWarmupMs,
        },
        'hot window warm',
      );
    } catch (err) {
      if (this.#warmup !== warmup) return;
      this.#warmup = undefined;
      this.#stats.warmupFailures++;
      const delay = this.#retryDelay;
      this.#retryDelay = Math.min(delay * 2, this.#retry.max);
      this.#o.logger.warn(
        { err, retryInMs: delay },
        'hot window warm-up failed (REQs go to the query service meanwhile); retrying',
      );
      this.#retryTimer = setTimeout(() => this.#beginWarmup(), delay);
      this.#retryTimer.unref();
    }
  }

  /**
   * The store's newest events, newest first, until their estimated cost passes the budget;
   * `complete` when the read ended by itself (the store holds nothing older). One streaming
   * read: an unrestricted read is not capped by MAX_LIMIT (the query engine streams it a page
   * at a time), and it is aborted once the budget is full.
   */
  async #readNewest(signal: AbortSignal): Promise<{ events: RawEvent[]; complete: boolean }> {
    const { budgetBytes } = this.#o;
    const full = new AbortController();
    const request = {
      v: 1 as const,
      filters: [{ limit: WARM_READ_LIMIT }],
      viewer: { authedPubkeys: [], unrestricted: true as const },
    };
    const events: RawEvent[] = [];
    let cost = 0;
    try {
      for await (const batch of this.#o.query.query(request, AbortSignal.any([signal, full.signal]))) {
        for (const raw of batch) {
          const entry = { event: JSON.parse(raw) as NostrEvent, raw };
          events.push(entry);
          cost += estimatedCost(entry);
        }
        if (cost >= budgetBytes) {
          full.abort(BUDGET_FULL);
          break;
        }
      }
    } catch (err) {
      if (err !== BUDGET_FULL) throw err;
    }
    return { events, complete: !full.signal.aborted };
  }
}
