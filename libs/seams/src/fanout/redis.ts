import type { RedisLogger, RedisTarget } from '@nrelay/redis';
import { openPubSubChannel } from '@nrelay/redis';
import { decodeFanout, encodeFanout } from './codec.js';
import { FANOUT_CLOSED_MESSAGE, type FanoutBus, type FanoutContinuity, type FanoutMessage } from './seam.js';

/** Options of the Redis FanoutBus. */
export interface RedisFanoutBusOptions {
  target: RedisTarget;
  /** The pub/sub channel every gateway and ingest worker of the deployment shares, e.g. `${prefix}:fanout`. */
  channel: string;
  /**
   * On a Redis Cluster: the channel's partitions (FANOUT_PARTITIONS), carried by sharded pub/sub
   * and spread over the masters; an event goes to the partition of its author. Default 1.
   */
  partitions?: number;
  /**
   * On a Redis Cluster: how long a failed publish is retried, in order per partition, so a
   * master's failover delays live events instead of losing them (FANOUT_PUBLISH_RETRY_MS).
   * 0 (the default) = a failed publish rejects at once.
   */
  publishRetryMs?: number;
  logger: RedisLogger;
}

/**
 * The partition of an event: by author, so one author's events (an event and its deletion,
 * the versions of a replaceable event) stay in publish order on one channel. Pubkeys are hex
 * hashes, so their first 32 bits are already uniform.
 */
export function fanoutPartitionOf(message: FanoutMessage): number {
  const n = Number.parseInt(message.event.pubkey.slice(0, 8), 16);
  return Number.isNaN(n) ? 0 : n;
}

/** The cluster FanoutBus, with the readiness a process reports on /readyz. */
export interface RedisFanoutBus extends FanoutBus {
  /** True while publishing is connected and every partition is subscribed. */
  isReady(): boolean;
  /** Resolves once the channel is subscribed (nothing published later is missed) and publishing is connected. */
  ready(): Promise<void>;
}

/**
 * The cluster FanoutBus on Redis pub/sub. Publishes of one event-loop turn (the events of one
 * store batch) leave as one Redis message (per partition) on one auto-pipelined connection;
 * a dedicated subscriber connection (one per shard on a Redis Cluster) receives every message
 * of every partition, decodes it once and hands it to each local handler. After a Redis restart ioredis reconnects and
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
    partitionOf: fanoutPartitionOf,
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
