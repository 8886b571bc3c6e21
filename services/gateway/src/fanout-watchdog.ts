/**
 * Notices that a gateway's live feed is gone and takes the gateway out of service until it is
 * back (issue 14). A link to Redis cut silently (packets dropped, no RST) is not noticed by
 * ioredis for minutes, while every subscriber of this gateway misses what is published; so the
 * watchdog PINGs the fanout subscriber connection (`FanoutBus.fence`) on a heartbeat:
 *
 * - `live` → `lost` when a fence rejects, when the oldest unanswered one is older than the
 *   timeout, or when the bus reports a `broken` continuity. `onLost` runs (the hot window goes
 *   cold).
 * - `lost` → `out` once the loss is silent for longer than the grace, counted from when the
 *   first fence that went unanswered was sent: `onOutage` runs (the gateway reports not ready
 *   and closes its clients so they reconnect through the load balancer to another gateway).
 * - `lost`/`out` → `live` when a fence resolves and no `broken` is open: `onRestored` runs.
 *
 * Only a silent loss (PINGs unanswered on a connection that stays open) takes the gateway out of
 * service: that is what a cut link between this gateway and Redis looks like. A loud one (the
 * connection closed or refused: Redis restarting, crashed or stopped) is seen by every gateway
 * alike; moving clients would help none of them and would take reads down with it, so the
 * gateway stays in service as docs/operations.md "Redis down" says (the hot window is cold, EVENTs
 * are refused at once, ioredis reconnects). A Redis frozen or partitioned from every gateway is
 * silent to all of them: all go out of service until it answers again.
 *
 * Everything is decided on the heartbeat's ticks (and on continuity changes), so one timer
 * serves it all; a PING's answer means the connection was alive when Redis answered it.
 */
import type { Config } from '@nrelay/config';
import type { FanoutBus, FanoutContinuity } from '@nrelay/seams/fanout';
import type { Gateway, SuspendNotice } from './gateway.js';
import type { HotWindowFeed } from './hot-window/feed.js';
import { exportFanoutWatchdogStats } from './metrics.js';

/** Where the watchdog stands: see the module comment. */
export type FanoutFeedState = 'live' | 'lost' | 'out';

/** The few logger methods the watchdog uses (a pino logger fits). */
interface FanoutWatchdogLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a watchdog watches and whom it tells. */
export interface FanoutWatchdogOptions {
  fanout: Pick<FanoutBus, 'fence' | 'watchContinuity'>;
  /** FANOUT_HEARTBEAT_MS: one fence per heartbeat (at most one in flight unless it is overdue). */
  heartbeatMs: number;
  /** FANOUT_HEARTBEAT_TIMEOUT_MS: a fence unanswered this long means the feed is lost. */
  timeoutMs: number;
  /** FANOUT_LOSS_GRACE_MS: silently lost this long (from the first unanswered fence) means out of service. */
  graceMs: number;
  logger: FanoutWatchdogLogger;
  /** The feed may be missing events from now on (`heartbeat`: noticed by a fence, else by the bus). */
  onLost(cause: 'heartbeat' | 'continuity'): void;
  /** Lost past the grace: take the gateway out of service; resolves with the connections it closed. */
  onOutage(): Promise<number>;
  /**
   * The feed is live again; `wasOut` when `onOutage` ran, `byHeartbeat` when only fences saw the
   * loss (the bus itself reported no gap, so whoever keeps a copy of the stream must re-check it).
   */
  onRestored(info: { wasOut: boolean; byHeartbeat: boolean }): void;
}

/** Counters of a watchdog, exported as metrics. */
export interface FanoutWatchdogStats {
  /** Times the feed was lost. */
  losses: number;
  /** Times a loss outlasted the grace (the gateway went out of service). */
  outages: number;
  /** Connections closed because the feed was lost. */
  closes: number;
}

/** See the module comment. `start()` begins the heartbeat; `stop()` ends it for good. */
export class FanoutWatchdog {
  readonly #o: FanoutWatchdogOptions;
  readonly #stats: FanoutWatchdogStats = { losses: 0, outages: 0, closes: 0 };
  /** When each fence still unanswered was sent, oldest first. */
  #inFlight: number[] = [];
  #state: FanoutFeedState = 'live';
  #lostSince = 0;
  /** When the first fence of the current loss that went unanswered past the timeout was sent. */
  #silentSince: number | undefined;
  /** A `broken` continuity without its `restored` yet. */
  #gapOpen = false;
  /** Whether the bus reported a gap during the current loss. */
  #sawGap = false;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #stopped = false;

  constructor(options: FanoutWatchdogOptions) {
    this.#o = options;
  }

  get state(): FanoutFeedState {
    return this.#state;
  }

  get stats(): Readonly<FanoutWatchdogStats> {
    return this.#stats;
  }

  /** Starts watching; call once the fanout subscription is live. Idempotent. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#unwatch = this.#o.fanout.watchContinuity((state) => this.#onContinuity(state));
    this.#timer = setInterval(() => this.#tick(), this.#o.heartbeatMs);
    this.#timer.unref();
    this.#tick();
  }

  /** Stops for good (the gateway is closing): nothing is reported any more. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#unwatch?.();
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const oldest = this.#inFlight[0];
    if (oldest !== undefined && now - oldest >= this.#o.timeoutMs) {
      this.#silentSince ??= oldest;
      this.#lose(oldest, 'heartbeat', { unansweredMs: now - oldest });
    }
    const silentSince = this.#silentSince;
    if (this.#state === 'lost' && silentSince !== undefined && now - silentSince >= this.#o.graceMs) {
      this.#goOut(now);
    }
    const newest = this.#inFlight.at(-1);
    // One PING in flight answers for all: a later one is only sent once the last is overdue.
    if (newest === undefined || now - newest >= this.#o.timeoutMs) this.#sendFence(now);
  }

  #sendFence(sentAt: number): void {
    this.#inFlight.push(sentAt);
    let fence: Promise<void>;
    try {
      fence = this.#o.fanout.fence();
    } catch (err) {
      fence = Promise.reject(err);
    }
    fence.then(
      () => this.#answered(sentAt),
      (err: unknown) => this.#refused(sentAt, err),
    );
  }

  #answered(sentAt: number): void {
    // PINGs on one connection are answered in order: every earlier one is answered too.
    this.#inFlight = this.#inFlight.filter((t) => t > sentAt);
    if (this.#stopped || this.#state === 'live' || this.#gapOpen) return;
    const wasOut = this.#state === 'out';
    const byHeartbeat = !this.#sawGap;
    this.#o.logger.info(
      { lostMs: Date.now() - this.#lostSince, wasOut },
      'fanout feed live again (a heartbeat PING was answered)',
    );
    this.#state = 'live';
    this.#silentSince = undefined;
    this.#o.onRestored({ wasOut, byHeartbeat });
  }

  #refused(sentAt: number, err: unknown): void {
    this.#inFlight = this.#inFlight.filter((t) => t !== sentAt);
    if (this.#stopped) return;
    this.#lose(sentAt, 'heartbeat', { err });
  }

  #onContinuity(state: FanoutContinuity): void {
    if (this.#stopped) return;
    if (state === 'broken') {
      this.#gapOpen = true;
      // PINGs sent on the dropped connection may be re-sent after the reconnect: none of them
      // can be overdue on a connection that is closed (a loud loss), and no silence started here
      // goes on: a frozen peer that then drops the connection was not a cut link.
      this.#inFlight = [];
      if (this.#state !== 'out') this.#silentSince = undefined;
      this.#lose(Date.now(), 'continuity', {});
      return;
    }
    this.#gapOpen = false;
    // Confirm at once rather than on the next beat.
    if (this.#state !== 'live') this.#sendFence(Date.now());
  }

  #lose(since: number, cause: 'heartbeat' | 'continuity', context: object): void {
    if (cause === 'continuity') this.#sawGap = true;
    if (this.#state !== 'live') return;
    this.#state = 'lost';
    this.#lostSince = since;
    this.#sawGap = cause === 'continuity';
    this.#stats.losses++;
    this.#o.logger.warn(
      { ...context, cause, graceMs: this.#o.graceMs },
      'fanout feed lost: live subscribers of this gateway may miss events',
    );
    this.#o.onLost(cause);
  }

  #goOut(now: number): void {
    this.#state = 'out';
    this.#stats.outages++;
    this.#o.logger.error(
      { lostMs: now - this.#lostSince, silentMs: now - (this.#silentSince ?? now) },
      'fanout PINGs unanswered past the grace: this gateway reports not ready and closes its clients',
    );
    this.#o.onOutage().then(
      (closed) => {
        this.#stats.closes += closed;
      },
      (err: unknown) =>
        this.#o.logger.error({ err }, 'closing the clients of a gateway out of service failed'),
    );
  }
}

/** What a suspended gateway tells its clients when its live feed is lost. */
export const FEED_LOST_NOTICE: SuspendNotice = {
  closed: 'error: this gateway lost its live feed; reconnect and subscribe again',
  notice: 'error: this gateway lost its live feed (Redis); closing, reconnect to be served by another one',
  close: 'live feed lost, reconnect',
};

/** What `watchGatewayFeed` connects. */
export interface GatewayFeedParts {
  gateway: Pick<Gateway, 'suspend' | 'resume'>;
  fanout: Pick<FanoutBus, 'fence' | 'watchContinuity'>;
  /** The hot window's feed, when there is one: cold while the live feed is lost. */
  hotWindow?: Pick<HotWindowFeed, 'markCold'> | undefined;
  logger: FanoutWatchdogLogger;
}

/**
 * A gateway's watchdog as the composition root builds it (FANOUT_HEARTBEAT_MS > 0; undefined
 * otherwise): a loss marks the hot window cold, an outage suspends the gateway with
 * {@link FEED_LOST_NOTICE}, the feed back resumes it (and re-warms the window if only the
 * heartbeat saw the loss: the bus's own gap report already does). Exported on /metrics.
 */
export function watchGatewayFeed(
  config: Pick<Config, 'FANOUT_HEARTBEAT_MS' | 'FANOUT_HEARTBEAT_TIMEOUT_MS' | 'FANOUT_LOSS_GRACE_MS'>,
  parts: GatewayFeedParts,
): { start(): void; stop(): void } | undefined {
  if (config.FANOUT_HEARTBEAT_MS === 0) return undefined;
  const { gateway, hotWindow } = parts;
  const watchdog = new FanoutWatchdog({
    fanout: parts.fanout,
    heartbeatMs: config.FANOUT_HEARTBEAT_MS,
    timeoutMs: config.FANOUT_HEARTBEAT_TIMEOUT_MS,
    graceMs: config.FANOUT_LOSS_GRACE_MS,
    logger: parts.logger,
    onLost(cause) {
      if (cause === 'heartbeat') hotWindow?.markCold('the fanout heartbeat went unanswered');
    },
    onOutage: () => gateway.suspend(FEED_LOST_NOTICE),
    onRestored({ byHeartbeat }) {
      gateway.resume();
      if (byHeartbeat) hotWindow?.markCold('the fanout heartbeat is answered again after a loss');
    },
  });
  let stopExport: (() => void) | undefined;
  return {
    start() {
      stopExport ??= exportFanoutWatchdogStats({
        lost: () => watchdog.state !== 'live',
        closes: () => watchdog.stats.closes,
      });
      watchdog.start();
    },
    stop() {
      watchdog.stop();
      stopExport?.();
    },
  };
}
