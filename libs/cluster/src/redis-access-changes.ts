import { type AccessChange, type AccessChangeBus, decodeAccessChange } from '@nrelay/access';
import { type ClusterLogger, connectRedis, quitRedis, whenConnected } from './redis.js';

/** Options of the Redis access-change bus. */
export interface RedisAccessChangeBusOptions {
  redisUrl: string;
  /** The deployment's channel, `aclChannel(prefix)`. */
  channel: string;
  logger: ClusterLogger;
}

/** The cluster AccessChangeBus, with readiness. */
export interface RedisAccessChangeBus extends AccessChangeBus {
  /** Resolves once the channel is subscribed and publishing is connected. */
  ready(): Promise<void>;
  isReady(): boolean;
}

const EVERYTHING: readonly AccessChange[] = [
  { v: 1, what: 'acl' },
  { v: 1, what: 'follows' },
];

/**
 * Access-control change announcements on Redis pub/sub: a management change on one gateway
 * reaches every gateway and ingest worker in milliseconds. Pub/sub is at most once, so after
 * the subscriber reconnects every handler is told that everything may have changed (a full
 * reload), and the state's periodic reload covers the rest.
 */
export function createRedisAccessChangeBus(options: RedisAccessChangeBusOptions): RedisAccessChangeBus {
  const { redisUrl, channel, logger } = options;
  const handlers = new Set<(change: AccessChange) => void>();
  const publisher = connectRedis(redisUrl, `acl-pub:${channel}`, logger);
  // As for fanout: a SUBSCRIBE issued while Redis is down waits for it instead of failing.
  const subscriber = connectRedis(redisUrl, `acl-sub:${channel}`, logger, { maxRetriesPerRequest: null });
  let subscribed = false;
  let everSubscribed = false;
  let closed = false;

  function deliver(change: AccessChange): void {
    for (const handler of handlers) {
      try {
        handler(change);
      } catch (err) {
        logger.error({ err, change }, 'access-change handler threw');
      }
    }
  }

  const subscription = subscriber.subscribe(channel).then(
    () => {
      subscribed = true;
      everSubscribed = true;
    },
    (err: unknown) => {
      logger.error({ err, channel }, 'access-change subscribe failed');
      throw err;
    },
  );
  subscription.catch(() => {});

  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
    const change = decodeAccessChange(payload);
    if (change === undefined) {
      logger.warn({ channel }, 'dropped an undecodable access-change message');
      return;
    }
    deliver(change);
  });
  subscriber.on('close', () => {
    subscribed = false;
  });
  subscriber.on('ready', () => {
    if (!everSubscribed || closed) return;
    subscribed = true;
    // Announcements sent while we were away are lost: reload everything.
    for (const change of EVERYTHING) deliver(change);
  });

  return {
    async publish(change) {
      await publisher.publish(channel, JSON.stringify(change));
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
