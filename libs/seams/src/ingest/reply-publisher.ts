import {
  bullmqPrefixOf,
  connectRedis,
  publishOn,
  quitRedis,
  type RedisLogger,
  type RedisTarget,
} from '@nrelay/redis';
import { encodeReplies, type IngestReply } from './codec.js';

/**
 * The channel on which ingest workers answer the submits of one gateway; `prefix` is the queue's
 * (`bullmqPrefixOf`), so on a Redis Cluster the replies live on the queue's shard.
 */
export function replyChannel(prefix: string, gatewayId: string): string {
  return `${prefix}:reply:${gatewayId}`;
}

/** Options of the worker-side reply publisher. */
export interface IngestReplyPublisherOptions {
  target: RedisTarget;
  /** The deployment's Redis prefix; the same as the ingest clients'. */
  prefix: string;
  logger: RedisLogger;
}

/** Answers the submits of a finished ingest job (the worker side of the BullMQ IngestClient). */
export interface IngestReplyPublisher {
  /** Publishes the answers to some submits of one gateway, as one message on its reply channel. */
  answer(gatewayId: string, replies: readonly IngestReply[]): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Builds the reply publisher: one PUBLISH per answered job, on its own connection (SPUBLISH on a
 * Redis Cluster: only the shard that owns the gateway's channel carries it, where a plain
 * PUBLISH would be broadcast to every node of the cluster).
 */
export function createIngestReplyPublisher(options: IngestReplyPublisherOptions): IngestReplyPublisher {
  const { prefix, logger } = options;
  const queuePrefix = bullmqPrefixOf(options.target, prefix);
  const redis = connectRedis(options.target, `ingest-answers:${prefix}`, logger, {
    enableAutoPipelining: true,
  });
  return {
    async answer(gatewayId, replies) {
      if (replies.length === 0) return;
      await publishOn(redis, replyChannel(queuePrefix, gatewayId), encodeReplies(replies));
    },
    isReady: () => redis.status === 'ready',
    close: () => quitRedis(redis),
  };
}
