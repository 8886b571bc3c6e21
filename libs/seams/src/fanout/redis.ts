import type { RedisLogger } from '@nrelay/redis';
import { openPubSubChannel } from '@nrelay/redis';
import { decodeFanout, encodeFanout } from './codec.js';
import { FANOUT_CLOSED_MESSAGE, type FanoutBus, type FanoutContinuity, type FanoutMessage } from './seam.js';

/** Options of the Redis FanoutBus. */
export interface RedisFanoutBusOptions {
  redisUrl: string;
  /** The pub/sub channel every gateway and ingest worker of the deployment shares, e.g. `${prefix}:fanout`. */
  channel: string;
  logger: RedisLogger;
}

/** The cluster FanoutBus, with the readiness a process reports on /readyz. */
export interface RedisFanoutBus extends FanoutBus {
  /** True while both connections are up and the channel is subscribed. */
  isReady(): boolean;
  /** Resolves once the channel is subscribed (nothing published later is missed) and publishing is connected. */
  ready(): Promise<void>;
}

/**
 * The cluster FanoutBus on Redis pub/sub. Publishes of one event-loop turn (the events of one
 * store batch) leave as one Redis message on one auto-pipelined connection;
 * a dedicated subscriber connection receives every message of the channel, decodes it once
 * and hands it to each local handler. After a Redis restart ioredis reconnects and
 * re-subscribes by itself; messages published while the subscriber is away are lost (pub/sub
 * is at-most-once), which the REQ flow tolerates because stored events are queried.
 */
export function createRedisFanoutBus(options: RedisFanoutBusOptions): RedisFanoutBus {
  const watchers = new Set<(state: FanoutContinuity) => void>();
  const tell = (state: FanoutContinuity) => {
    for (const watcher of watchers) {
      try {
        watcher(state);
      } catch (err) {
        options.logger.error({ err, channel: options.channel }, `fanout continuity watcher threw (${state})`);
      }
    }
  };
  const bus = openPubSubChannel<FanoutMessage>({
    ...options,
    role: 'fanout',
    name: 'fanout',
    encode: encodeFanout,
    decode: decodeFanout,
    describe: (message) => ({ event: message.event.id }),
    publisherOptions: { enableAutoPipelining: true },
    // The event text comes from JSON.parse-checked frames and the header from JSON.stringify:
    // neither can hold a raw NUL.
    coalesce: true,
    onUnsubscribed: () => tell('broken'),
    onResubscribed: () => tell('restored'),
  });
  let closed = false;
  return {
    ...bus,
    async publish(message, signal) {
      signal.throwIfAborted();
      // The same refusal as the memory bus, rather than whatever the quit connection says.
      if (closed) throw new Error(FANOUT_CLOSED_MESSAGE);
      await bus.publish(message);
    },
    fence: () => bus.fence(),
    watchContinuity(watcher) {
      watchers.add(watcher);
      return () => {
        watchers.delete(watcher);
      };
    },
    close() {
      closed = true;
      watchers.clear();
      return bus.close();
    },
  };
}
