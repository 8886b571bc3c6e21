import type { RedisLogger } from './connection.js';

/** What a subscription tells its owner. */
export interface SubscriptionOptions {
  /** Names the subscriber connections in logs and CLIENT LIST. */
  role: string;
  channels: readonly string[];
  logger: RedisLogger;
  onMessage(channel: string, payload: string): void;
  /** Some channel stopped being subscribed: messages published from now on may be lost. */
  onBroken?(): void;
  /** Every channel is subscribed again after `onBroken` (what was published meanwhile is lost). */
  onRestored?(): void;
}

/**
 * Delivery of some pub/sub channels to one process: SUBSCRIBE on a single Redis, SSUBSCRIBE on
 * the master owning each channel's slot on a cluster (sharded pub/sub, Redis 7).
 */
export interface Subscription {
  /** True while every channel is subscribed. */
  isSubscribed(): boolean;
  /** Resolves once every channel was subscribed (nothing published later is missed). */
  ready(): Promise<void>;
  /**
   * Resolves once every message whose publish Redis had processed before this call has been
   * handed to `onMessage`: a PING on each subscriber connection, whose reply Redis queues after
   * the messages already queued for it. Rejects when some channel is not subscribed now.
   */
  fence(): Promise<void>;
  close(): Promise<void>;
}
