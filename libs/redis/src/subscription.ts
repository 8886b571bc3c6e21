import type { Cluster } from 'ioredis';
import { connectRedis, quitRedis, type RedisClient } from './connection.js';
import { openShardedSubscription } from './sharded-subscription.js';
import type { Subscription, SubscriptionOptions } from './subscription-api.js';
import type { RedisTarget } from './target.js';

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
