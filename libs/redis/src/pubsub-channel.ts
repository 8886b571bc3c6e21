import type { Cluster, RedisOptions } from 'ioredis';
import { connectRedis, quitRedis, type RedisLogger, whenConnected } from './connection.js';
import { orderedPublisher } from './publish-retry.js';
import { slotOf, spreadChannels } from './slot.js';
import { openSubscription, publishOn } from './subscription.js';
import type { RedisTarget } from './target.js';

/** How one kind of message travels on a pub/sub channel. */
export interface PubSubChannelOptions<T> {
  target: RedisTarget;
  channel: string;
  /**
   * On a cluster: how many channels (`<channel>:{p<i>.<k>}`, spread over the slot ranges) carry
   * the messages, so publishes spread over the shards; every subscriber takes all of them.
   * Ignored on a single Redis (one channel). Default 1.
   */
  partitions?: number;
  /** The partition (0 ≤ p < partitions) of a message; one partition keeps its messages in order. */
  partitionOf?(message: T): number;
  /** Names the two connections in logs and CLIENT LIST (`<role>-pub`, `<role>-sub`). */
  role: string;
  /** What the messages are, in log lines: `fanout`, `access-change`. */
  name: string;
  logger: RedisLogger;
  encode(message: T): string;
  /** Undefined or a throw drops the payload with a warning. */
  decode(payload: string): T | undefined;
  /** Describes a message in the log line of a throwing handler (never its content). */
  describe(message: T): Record<string, unknown>;
  publisherOptions?: RedisOptions;
  /**
   * On a cluster: how long (ms from the call) a failed publish is retried, in order per
   * partition, with the slot map refreshed in between, so a publish rides out a master's
   * failover. 0 (the default) or a single Redis: a failed publish rejects at once.
   */
  publishRetryMs?: number;
  /**
   * Publishes made in one event-loop turn leave as one Redis message (NUL-separated; encoded
   * messages must never contain NUL): one PUBLISH and one delivery per subscriber instead of
   * one per message (one per partition on a cluster). Subscribers split any message on NUL, so
   * they read both forms.
   */
  coalesce?: boolean;
  /** Runs after the subscriber came back from a disconnect (messages sent meanwhile are lost). */
  onResubscribed?(deliver: (message: T) => void): void;
  /** Runs when the subscribed connection drops: messages published from now on may be lost. */
  onUnsubscribed?(): void;
}

/** Separates the messages of one coalesced Redis message (see `coalesce`). */
const SEPARATOR = '\0';
/** Most messages coalesced into one Redis message. */
const MAX_COALESCED = 256;

/** A typed Redis pub/sub channel: publish, local handlers, readiness, close. */
export interface PubSubChannel<T> {
  publish(message: T): Promise<void>;
  /** Registers a handler; returns the function that removes it. */
  subscribe(handler: (message: T) => void): () => void;
  /** True while publishing is connected and every channel (partition) is subscribed. */
  isReady(): boolean;
  /** Resolves once the channel is subscribed (nothing published later is missed) and publishing is connected. */
  ready(): Promise<void>;
  /**
   * Resolves once every message whose PUBLISH Redis had processed before this call has been
   * handed to the handlers: a PING on each subscriber connection (one per shard on a cluster),
   * whose reply Redis queues after the messages already queued for it. Rejects when some
   * channel is not subscribed now.
   */
  fence(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One Redis pub/sub channel shared by every process of a deployment: publishes go through one
 * connection, a dedicated subscriber decodes each message once and hands it to every local
 * handler (a throwing handler is logged, the others still run). On a single Redis after a
 * restart ioredis reconnects and re-subscribes by itself; on a cluster the channel may be split
 * into partitions carried by sharded pub/sub (SPUBLISH/SSUBSCRIBE), each on the master that owns
 * its slot, followed through failovers. Pub/sub is at-most-once, so `onResubscribed` lets a
 * channel make up for what it may have missed.
 */
export function openPubSubChannel<T>(options: PubSubChannelOptions<T>): PubSubChannel<T> {
  const { channel, logger, target } = options;
  const handlers = new Set<(message: T) => void>();
  const partitions = target.kind === 'cluster' ? Math.max(1, options.partitions ?? 1) : 1;
  const channels = partitions === 1 ? [channel] : spreadChannels(channel, partitions);
  const retryMs = target.kind === 'cluster' ? (options.publishRetryMs ?? 0) : 0;
  // With our own ordered retry, ioredis must hand a failed publish back instead of retrying it
  // itself (out of order, and straight to a new master before the subscribers are there).
  const publisher =
    retryMs > 0
      ? connectRedis(
          target,
          `${options.role}-pub:${channel}`,
          logger,
          { ...options.publisherOptions, maxRetriesPerRequest: 0 },
          { retryDelayOnFailover: 0, retryDelayOnClusterDown: 0 },
        )
      : connectRedis(target, `${options.role}-pub:${channel}`, logger, options.publisherOptions);
  let closed = false;
  const outboxes: Array<Array<{ payload: string; settle(err?: unknown): void }>> = channels.map(() => []);
  let flushScheduled = false;
  const sender = orderedPublisher({
    send: (partition, payload) => publishOn(publisher, channels[partition] as string, payload),
    cluster: target.kind === 'cluster' ? (publisher as Cluster) : undefined,
    retryMs,
    closed: () => closed,
    ownerOf: (partition) => (publisher as Cluster).slots?.[slotOf(channels[partition] as string)]?.[0],
  });

  function flushOutboxes(): void {
    flushScheduled = false;
    outboxes.forEach((batch, partition) => {
      if (batch.length === 0) return;
      outboxes[partition] = [];
      for (let start = 0; start < batch.length; start += MAX_COALESCED) {
        const part = batch.slice(start, start + MAX_COALESCED);
        sender.publish(partition, part.map((m) => m.payload).join(SEPARATOR)).then(
          () => {
            for (const m of part) m.settle();
          },
          (err: unknown) => {
            for (const m of part) m.settle(err);
          },
        );
      }
    });
  }

  function partitionOf(message: T): number {
    if (partitions === 1) return 0;
    const p = options.partitionOf?.(message) ?? 0;
    return ((p % partitions) + partitions) % partitions;
  }

  function publishCoalesced(partition: number, payload: string): Promise<void> {
    if (payload.includes(SEPARATOR)) {
      return Promise.reject(new Error(`${options.name} message contains NUL and cannot be coalesced`));
    }
    return new Promise<void>((resolve, reject) => {
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushOutboxes);
      }
      outboxes[partition]?.push({ payload, settle: (err) => (err === undefined ? resolve() : reject(err)) });
    });
  }

  function deliver(message: T): void {
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (err) {
        logger.error({ err, channel, ...options.describe(message) }, `${options.name} handler threw`);
      }
    }
  }

  function receive(payload: string): void {
    let message: T | undefined;
    try {
      message = options.decode(payload);
    } catch (err) {
      logger.warn({ err, channel }, `dropped an undecodable ${options.name} message`);
      return;
    }
    if (message === undefined) {
      logger.warn({ channel }, `dropped an undecodable ${options.name} message`);
      return;
    }
    deliver(message);
  }

  const subscription = openSubscription(target, publisher, {
    role: `${options.role}-sub:${channel}`,
    channels,
    logger,
    onMessage(_from, payload) {
      if (payload.includes(SEPARATOR)) {
        for (const part of payload.split(SEPARATOR)) receive(part);
      } else {
        receive(payload);
      }
    },
    onBroken: () => {
      if (!closed) options.onUnsubscribed?.();
    },
    onRestored: () => {
      if (!closed) options.onResubscribed?.(deliver);
    },
  });

  return {
    fence: () => subscription.fence(),
    async publish(message) {
      const payload = options.encode(message);
      if (options.coalesce) await publishCoalesced(partitionOf(message), payload);
      else await sender.publish(partitionOf(message), payload);
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    isReady() {
      return !closed && subscription.isSubscribed() && publisher.status === 'ready';
    },
    async ready() {
      await Promise.all([subscription.ready(), whenConnected(publisher)]);
    },
    async close() {
      closed = true;
      handlers.clear();
      await subscription.close();
      await quitRedis(publisher);
    },
  };
}
