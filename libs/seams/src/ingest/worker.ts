import { bullmqConnectionOf, bullmqPrefixOf, connectRedis, quitRedis, type RedisTarget } from '@nrelay/redis';
import { type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { WireFormatError } from '../wire.js';
import {
  decodeJobData,
  type IngestJobData,
  type IngestJobEntry,
  type IngestReply,
  requestFromJobEntry,
} from './codec.js';
import { claimJob, ingestAliveKey, startIngestHeartbeat } from './coordination.js';
import { createIngestReplyPublisher, type IngestReplyPublisher } from './reply-publisher.js';
import type { IngestHandler, IngestResult } from './seam.js';

/** Options of the BullMQ ingest worker. */
export interface IngestWorkerOptions {
  /** The deployment's Redis (REDIS_URL or REDIS_CLUSTER_NODES). */
  target: RedisTarget;
  /** The queue the gateways' ingest clients add to. */
  queueName: string;
  /** The deployment's Redis prefix, the same as the gateways'. */
  prefix: string;
  /** Jobs processed at once by this process; the pipeline batches their writes. */
  concurrency: number;
  /** What runs each event (the ingest pipeline); it answers rather than throws. */
  pipeline: IngestHandler;
  logger: Logger;
  /**
   * Heartbeat interval (ms): while `canStore()` the worker refreshes the queue's alive key, so
   * gateways refuse EVENTs at once when no worker could store them. Unset: no heartbeat.
   */
  heartbeatMs?: number;
  /** Whether the store is reachable (e.g. the database readiness probe); default always. */
  canStore?: () => boolean;
  /** This worker in logs and in the alive key; default the process id. */
  workerId?: string;
  /**
   * BullMQ job lock (ms), also the stalled-job check interval: a job of a worker that died runs
   * again on another worker within about twice this (default BullMQ's 30 000).
   */
  lockMs?: number;
  /** Attaches observers to the BullMQ worker (e.g. queue metrics); closed with the worker. */
  observe?: (worker: Worker<IngestJobData>) => { close(): Promise<void> };
}

/** A running ingest worker. */
export interface IngestWorker {
  readonly worker: Worker<IngestJobData>;
  /** True while the worker and its connections are up and (with a heartbeat) gateways can see it alive. */
  isReady(): boolean;
  /** Stops taking jobs, waits for the jobs in flight to finish and answer, then disconnects. */
  close(): Promise<void>;
}

/**
 * A transient failure (the store or Redis was unavailable): thrown so BullMQ retries the job
 * with backoff; on the last attempt the submitter is answered with the `error:` reason instead.
 */
export class TransientIngestError extends Error {
  override readonly name = 'TransientIngestError';
}

const MALFORMED: IngestResult = { ok: false, reason: 'invalid: malformed event' };
const PIPELINE_FAILED: IngestResult = {
  ok: false,
  reason: 'error: could not process the event, try again later',
};

/**
 * Starts the BullMQ ingest worker: each job carries the submits one gateway collected; every
 * entry is rebuilt into an IngestRequest and run through the ingest pipeline, all at once (the
 * pipeline's write batcher puts them in shared transactions), and the outcomes go back to the
 * gateway as one reply message. Entries answered `error:` (a transient store failure) while
 * attempts remain are kept in the job and retried with backoff; the others are answered at once.
 * A job that runs twice stores each event once (the store answers duplicate) and publishes it
 * at least once: a run after the first marks its requests `replay`, and the pipeline publishes
 * a replayed duplicate again (the first run may have died between commit and publish). The pipeline stays the caller's to close.
 */
export function startIngestWorker(options: IngestWorkerOptions): IngestWorker {
  const { logger, pipeline, prefix } = options;
  const replies: IngestReplyPublisher = createIngestReplyPublisher({
    target: options.target,
    prefix,
    logger,
  });
  // On a Redis Cluster the queue, the alive key and the job fates share one hash tag (one shard).
  const queuePrefix = bullmqPrefixOf(options.target, prefix);
  // Job claims and the heartbeat: small commands off the queue's own connections.
  const coordination = connectRedis(options.target, `ingest-coordination:${prefix}`, logger);

  async function run(gatewayId: string, entry: IngestJobEntry, replay: boolean): Promise<IngestResult> {
    try {
      const request = requestFromJobEntry(gatewayId, entry);
      if (replay) request.replay = true;
      return await pipeline.process(request);
    } catch (err) {
      if (err instanceof WireFormatError) return MALFORMED;
      // The pipeline answers rather than throws; if it ever throws, retry, then answer.
      logger.error({ err, ref: entry.ref }, 'ingest pipeline threw');
      return PIPELINE_FAILED;
    }
  }

  async function processJob(job: Job<IngestJobData>): Promise<number> {
    let data: IngestJobData;
    try {
      data = decodeJobData(job.data);
    } catch (err) {
      // No trustworthy reply address: nothing to answer, and retrying cannot help.
      logger.error({ err, job: job.id }, 'dropped an undecodable ingest job');
      return 0;
    }
    // Before anything is stored: a job its gateway gave up on (and answered "not stored") never
    // runs. A failed claim (Redis unreachable) throws, so BullMQ retries the job.
    if (job.id !== undefined && !(await claimJob(coordination, queuePrefix, job.id))) {
      logger.info(
        { job: job.id, events: data.entries.length },
        'skipped an ingest job its gateway cancelled',
      );
      return 0;
    }
    // Started before (a retry, or stalled on a worker that died): see IngestRequest.replay.
    const replay = job.attemptsStarted > 1 || job.attemptsMade > 0 || job.stalledCounter > 0;
    const results = await Promise.all(data.entries.map((entry) => run(data.gatewayId, entry, replay)));
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const answers: IngestReply[] = [];
    const retry: IngestJobEntry[] = [];
    let accepted = 0;
    results.forEach((result, i) => {
      const entry = data.entries[i] as IngestJobEntry;
      if (result.reason.startsWith('error:') && !lastAttempt) retry.push(entry);
      else answers.push({ ref: entry.ref, ok: result.ok, reason: result.reason });
      if (result.ok) accepted++;
    });
    await replies.answer(data.gatewayId, answers);
    if (retry.length > 0) {
      // Only the failed entries run again: the others were answered.
      await job.updateData({ ...data, entries: retry });
      const reason = results.find((r) => r.reason.startsWith('error:'))?.reason;
      throw new TransientIngestError(`${retry.length} of ${data.entries.length} events: ${reason}`);
    }
    return accepted;
  }

  const connection = bullmqConnectionOf(options.target);
  const worker = new Worker<IngestJobData>(options.queueName, processJob, {
    connection,
    prefix: queuePrefix,
    concurrency: options.concurrency,
    ...(options.lockMs === undefined
      ? {}
      : { lockDuration: options.lockMs, stalledInterval: options.lockMs }),
    // Backstop for jobs added without removal options: finished jobs never accumulate.
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
  });
  worker.on('error', (err) => logger.error({ err }, 'ingest worker error'));
  const observer = options.observe?.(worker);
  worker.on('failed', (job, err) => {
    const level = err instanceof TransientIngestError ? 'warn' : 'error';
    logger[level]({ err, job: job?.id, attempt: job?.attemptsMade }, 'ingest job failed');
  });

  const running = () => worker.isRunning() && replies.isReady() && coordination.status === 'ready';
  const heartbeat =
    options.heartbeatMs === undefined
      ? undefined
      : startIngestHeartbeat({
          redis: coordination,
          key: ingestAliveKey(queuePrefix, options.queueName),
          intervalMs: options.heartbeatMs,
          workerId: options.workerId ?? String(process.pid),
          isAlive: () => running() && (options.canStore?.() ?? true),
          logger,
        });
  // Ready only once gateways can see this worker: a gateway started after it accepts at once.
  const isReady = () => running() && (heartbeat?.beating() ?? true);

  return {
    worker,
    isReady,
    async close() {
      heartbeat?.stop();
      await worker.close();
      await observer?.close();
      await replies.close();
      await quitRedis(coordination);
      if (!('url' in connection)) await quitRedis(connection);
    },
  };
}
