import type { IngestResult } from '@nrelay/contracts';
import { encodeReply, type IngestJobData, type IngestReply } from './codec.js';
import {
  type ClusterLogger,
  connectRedis,
  outcomeKey,
  quitRedis,
  replyChannel,
  waitersKey,
} from './redis.js';

/** How long the outcome of a finished ingest job stays readable, by default. */
export const DEFAULT_OUTCOME_TTL_MS = 10_000;

/** Options of the worker-side reply publisher. */
export interface IngestReplyPublisherOptions {
  redisUrl: string;
  /** The deployment's Redis prefix; the same as the ingest clients'. */
  prefix: string;
  logger: ClusterLogger;
  /** How long the outcome of an event id is kept for submits racing the job's end. */
  outcomeTtlMs?: number;
}

/** Answers the submits of a finished ingest job (the worker side of the BullMQ IngestClient). */
export interface IngestReplyPublisher {
  /**
   * Publishes the final outcome of a job: to its own submitter, and as a `shared` outcome to
   * every other submit of the same event id that waited on the job; records the outcome for
   * submits that arrive while the job is being removed.
   */
  answer(data: IngestJobData, result: IngestResult): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Builds the reply publisher. One MULTI records the outcome, takes (and clears) the list of
 * waiters and answers the job's own submitter; waiters other than the submitter, rare, get
 * their shared outcome in one more pipelined round trip.
 */
export function createIngestReplyPublisher(options: IngestReplyPublisherOptions): IngestReplyPublisher {
  const { prefix, logger } = options;
  const ttl = options.outcomeTtlMs ?? DEFAULT_OUTCOME_TTL_MS;
  const redis = connectRedis(options.redisUrl, `ingest-answers:${prefix}`, logger);

  async function answer(data: IngestJobData, result: IngestResult): Promise<void> {
    const reply: IngestReply = { v: 1, id: data.id, ref: data.ref, ok: result.ok, reason: result.reason };
    const own = encodeReply(reply);
    const waiters = waitersKey(prefix, data.id);
    const results = await redis
      .multi()
      .set(outcomeKey(prefix, data.id), own, 'PX', ttl)
      .lrange(waiters, 0, -1)
      .del(waiters)
      .publish(replyChannel(prefix, data.gatewayId), own)
      .exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('ingest reply transaction was discarded');
    const entries = (results[1]?.[1] ?? []) as string[];
    const others = new Map<string, string>();
    for (const entry of entries) {
      const space = entry.indexOf(' ');
      const ref = entry.slice(0, space);
      if (space > 0 && ref !== data.ref) others.set(ref, entry.slice(space + 1));
    }
    if (others.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [ref, gatewayId] of others) {
      pipeline.publish(replyChannel(prefix, gatewayId), encodeReply({ ...reply, ref, shared: true }));
    }
    await pipeline.exec();
    logger.debug({ event: data.id, waiters: others.size }, 'answered concurrent submits of one event');
  }

  return {
    answer,
    isReady: () => redis.status === 'ready',
    close: () => quitRedis(redis),
  };
}
