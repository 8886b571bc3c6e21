import { connectRedis, quitRedis, type RedisLogger } from '@nrelay/redis';
import { encodeReplies, type IngestReply } from './codec.js';

/** The channel on which ingest workers answer the submits of one gateway. */
export function replyChannel(prefix: string, gatewayId: string): string {
  return `${prefix}:reply:${gatewayId}`;
}

/** Options of the worker-side reply publisher. */
export interface IngestReplyPublisherOptions {
  redisUrl: string;
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

/** Builds the reply publisher: one PUBLISH per answered job, on its own connection. */
export function createIngestReplyPublisher(options: IngestReplyPublisherOptions): IngestReplyPublisher {
  const { prefix, logger } = options;
  const redis = connectRedis(options.redisUrl, `ingest-answers:${prefix}`, logger, {
    enableAutoPipelining: true,
  });
  return {
    async answer(gatewayId, replies) {
      if (replies.length === 0) return;
      await redis.publish(replyChannel(prefix, gatewayId), encodeReplies(replies));
    },
    isReady: () => redis.status === 'ready',
    close: () => quitRedis(redis),
  };
}
