import type { Cluster } from 'ioredis';
import { connectRedis, quitRedis, type RedisClient, type RedisLogger } from './connection.js';
import { openShardedSubscription } from './sharded-subscription.js';
import type { RedisTarget } from './target.js';

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

/**
 * Subscribes to `channels` on the target. On a cluster, `topology` is a Cluster connection of
 * the caller's (its slot map says which master owns which channel); it stays the caller's to close.
 */
export function openSubscription(
  target: RedisTarget,
  topology: RedisClient,
  options: SubscriptionOptions,
): Subscription {
  if (target.kind === 'cluster') return openShardedSubscription(topology as Cluster, options);
  return openPlainSubscription(target.url, options);
}

/** Publishes one message on a channel: SPUBLISH on a cluster (to the channel's shard only), else PUBLISH. */
export async function publishOn(redis: RedisClient, channel: string, payload: string): Promise<void> {
  if (redis.isCluster) await redis.spublish(channel, payload);
  else await redis.publish(channel, payload);
}

function openPlainSubscription(url: string, options: SubscriptionOptions): Subscription {
  const { logger } = options;
  // A SUBSCRIBE issued while Redis is down must wait for it, not fail after a few retries:
  // ioredis re-subscribes only to channels whose SUBSCRIBE once succeeded.
  const subscriber = connectRedis({ kind: 'single', url }, options.role, logger, {
    maxRetriesPerRequest: null,
  });
  let subscribed = false;
  let everSubscribed = false;
  let closed = false;
  const wanted = new Set(options.channels);
  const subscription = subscriber.subscribe(...options.channels).then(
    () => {
      subscribed = true;
      everSubscribed = true;
    },
    (err: unknown) => {
      logger.error({ err, channels: options.channels }, `${options.role} subscribe failed`);
      throw err;
    },
  );
  // Callers that never await ready() must not see an unhandled rejection.
  subscription.catch(() => {});
  subscriber.on('message', (from: string, payload: string) => {
    if (wanted.has(from)) options.onMessage(from, payload);
  });
  subscriber.on('close', () => {
    const was = subscribed;
    subscribed = false;
    if (was && !closed) options.onBroken?.();
  });
  subscriber.on('ready', () => {
    // ioredis queues the re-SUBSCRIBE as the first command after a reconnect's 'ready'.
    if (!everSubscribed || closed) return;
    subscribed = true;
    options.onRestored?.();
  });
  // Callers of one microtask batch share one PING, sent after all of them asked.
  let fencing: Promise<void> | undefined;
  return {
    isSubscribed: () => !closed && subscribed && subscriber.status === 'ready',
    ready: () => subscription,
    fence() {
      if (closed || !subscribed) return Promise.reject(new Error(`${options.role} is not subscribed`));
      fencing ??= Promise.resolve().then(() => {
        fencing = undefined;
        return subscriber.ping().then(() => undefined);
      });
      return fencing;
    },
    async close() {
      closed = true;
      await quitRedis(subscriber);
    },
  };
}
