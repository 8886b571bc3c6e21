import type { RedisOptions } from 'ioredis';
import { connectRedis, quitRedis, type RedisLogger, whenConnected } from './connection.js';

/** How one kind of message travels on a pub/sub channel. */
export interface PubSubChannelOptions<T> {
  redisUrl: string;
  channel: string;
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
   * Publishes made in one event-loop turn leave as one Redis message (NUL-separated; encoded
   * messages must never contain NUL): one PUBLISH and one delivery per subscriber instead of
   * one per message. Subscribers split any message on NUL, so they read both forms.
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
  /** True while both connections are up and the channel is subscribed. */
  isReady(): boolean;
  /** Resolves once the channel is subscribed (nothing published later is missed) and publishing is connected. */
  ready(): Promise<void>;
  /**
   * Resolves once every message whose PUBLISH Redis had processed before this call has been
   * handed to the handlers: a PING on the subscriber connection, whose reply Redis queues after
   * the messages already queued for it. Rejects when the subscriber is not subscribed now.
   */
  fence(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One Redis pub/sub channel shared by every process of a deployment: publishes go through one
 * connection, a dedicated subscriber connection decodes each message once and hands it to
 * every local handler (a throwing handler is logged, the others still run). After a Redis
 * restart ioredis reconnects and re-subscribes by itself; pub/sub is at-most-once, so
 * `onResubscribed` lets a channel make up for what it may have missed.
 */
export function openPubSubChannel<T>(options: PubSubChannelOptions<T>): PubSubChannel<T> {
  const { channel, logger } = options;
  const handlers = new Set<(message: T) => void>();
  const publisher = connectRedis(
    options.redisUrl,
    `${options.role}-pub:${channel}`,
    logger,
    options.publisherOptions,
  );
  // A SUBSCRIBE issued while Redis is down must wait for it, not fail after a few retries:
  // ioredis re-subscribes only to channels whose SUBSCRIBE once succeeded.
  const subscriber = connectRedis(options.redisUrl, `${options.role}-sub:${channel}`, logger, {
    maxRetriesPerRequest: null,
  });
  let subscribed = false;
  let everSubscribed = false;
  let closed = false;
  let outbox: Array<{ payload: string; settle(err?: unknown): void }> = [];

  function flushOutbox(): void {
    const batch = outbox;
    outbox = [];
    for (let start = 0; start < batch.length; start += MAX_COALESCED) {
      const part = batch.slice(start, start + MAX_COALESCED);
      publisher.publish(channel, part.map((m) => m.payload).join(SEPARATOR)).then(
        () => {
          for (const m of part) m.settle();
        },
        (err: unknown) => {
          for (const m of part) m.settle(err);
        },
      );
    }
  }

  function publishCoalesced(payload: string): Promise<void> {
    if (payload.includes(SEPARATOR)) {
      return Promise.reject(new Error(`${options.name} message contains NUL and cannot be coalesced`));
    }
    return new Promise<void>((resolve, reject) => {
      if (outbox.length === 0) setImmediate(flushOutbox);
      outbox.push({ payload, settle: (err) => (err === undefined ? resolve() : reject(err)) });
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

  const subscription = subscriber.subscribe(channel).then(
    () => {
      subscribed = true;
      everSubscribed = true;
    },
    (err: unknown) => {
      logger.error({ err, channel }, `${options.name} subscribe failed`);
      throw err;
    },
  );
  // Callers that never await ready() must not see an unhandled rejection.
  subscription.catch(() => {});

  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
    if (payload.includes(SEPARATOR)) {
      for (const part of payload.split(SEPARATOR)) receive(part);
    } else {
      receive(payload);
    }
  });

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

  subscriber.on('close', () => {
    const was = subscribed;
    subscribed = false;
    if (was && !closed) options.onUnsubscribed?.();
  });
  subscriber.on('ready', () => {
    // ioredis queues the re-SUBSCRIBE as the first command after a reconnect's 'ready'.
    if (!everSubscribed || closed) return;
    subscribed = true;
    options.onResubscribed?.(deliver);
  });

  // Callers of one microtask batch share one PING, sent after all of them asked.
  let fencing: Promise<void> | undefined;
  function fence(): Promise<void> {
    if (closed || !subscribed)
      return Promise.reject(new Error(`${options.name} subscriber is not subscribed`));
    fencing ??= Promise.resolve().then(() => {
      fencing = undefined;
      return subscriber.ping().then(() => undefined);
    });
    return fencing;
  }

  return {
    fence,
    async publish(message) {
      const payload = options.encode(message);
      if (options.coalesce) await publishCoalesced(payload);
      else await publisher.publish(channel, payload);
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
