import type { FanoutBus, FanoutMessage } from '@nrelay/contracts';
import { decodeFanout, encodeFanout } from './codec.js';
import { type ClusterLogger, connectRedis, quitRedis, whenConnected } from './redis.js';

/** Options of the Redis FanoutBus. */
export interface RedisFanoutBusOptions {
  redisUrl: string;
  /** The pub/sub channel every gateway and ingest worker of the deployment shares, e.g. `${prefix}:fanout`. */
  channel: string;
  logger: ClusterLogger;
}

/** The cluster FanoutBus, with the readiness a process reports on /readyz. */
export interface RedisFanoutBus extends FanoutBus {
  /** True while both connections are up and the channel is subscribed. */
  isReady(): boolean;
  /** Resolves once the channel is subscribed (nothing published later is missed) and publishing is connected. */
  ready(): Promise<void>;
}

/**
 * The cluster FanoutBus on Redis pub/sub. Publishes go through one auto-pipelined connection;
 * a dedicated subscriber connection receives every message of the channel, decodes it once
 * and hands it to each local handler. After a Redis restart ioredis reconnects and
 * re-subscribes by itself; messages published while the subscriber is away are lost (pub/sub
 * is at-most-once), which the REQ flow tolerates because stored events are queried.
 */
export function createRedisFanoutBus(options: RedisFanoutBusOptions): RedisFanoutBus {
  const { redisUrl, channel, logger } = options;
  const handlers = new Set<(message: FanoutMessage) => void>();
  const publisher = connectRedis(redisUrl, `fanout-pub:${channel}`, logger, { enableAutoPipelining: true });
  // A SUBSCRIBE issued while Redis is down must wait for it, not fail after a few retries:
  // ioredis re-subscribes only to channels whose SUBSCRIBE once succeeded.
  const subscriber = connectRedis(redisUrl, `fanout-sub:${channel}`, logger, { maxRetriesPerRequest: null });
  let subscribed = false;
  let everSubscribed = false;
  let closed = false;
  const subscription = subscriber.subscribe(channel).then(
    () => {
      subscribed = true;
      everSubscribed = true;
    },
    (err: unknown) => {
      logger.error({ err, channel }, 'fanout subscribe failed');
      throw err;
    },
  );
  // Callers that never await ready() must not see an unhandled rejection.
  subscription.catch(() => {});

  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
    let message: FanoutMessage;
    try {
      message = decodeFanout(payload);
    } catch (err) {
      logger.warn({ err, channel }, 'dropped an undecodable fanout message');
      return;
    }
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (err) {
        logger.error({ err, event: message.event.id }, 'fanout handler threw');
      }
    }
  });
  subscriber.on('close', () => {
    subscribed = false;
  });
  subscriber.on('ready', () => {
    // ioredis queues the re-SUBSCRIBE as the first command after a reconnect's 'ready'.
    if (everSubscribed) subscribed = true;
  });

  return {
    async publish(message, signal) {
      signal?.throwIfAborted();
      await publisher.publish(channel, encodeFanout(message));
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    isReady() {
      return !closed && subscribed && subscriber.status === 'ready' && publisher.status === 'ready';
    },
    async ready() {
      await Promise.all([subscription, whenConnected(publisher)]);
    },
    async close() {
      closed = true;
      handlers.clear();
      await Promise.all([quitRedis(publisher), quitRedis(subscriber)]);
    },
  };
}
