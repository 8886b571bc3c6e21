import {
  createIngestReplyPublisher,
  DEFAULT_OUTCOME_TTL_MS,
  decodeJobData,
  type IngestJobData,
  type IngestReplyPublisher,
  requestFromJobData,
  WireFormatError,
} from '@nrelay/cluster';
import type { IngestResult } from '@nrelay/contracts';
import { type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { IngestPipeline } from './pipeline.js';
import { observeIngestQueue } from './queue-metrics.js';

/** Options of the BullMQ ingest worker. */
export interface IngestWorkerOptions {
  redisUrl: string;
  /** The queue the gateways' ingest clients add to. */
  queueName: string;
  /** The deployment's Redis prefix, the same as the gateways'. */
  prefix: string;
  /** Jobs processed at once by this process; the pipeline batches their writes. */
  concurrency: number;
  pipeline: IngestPipeline;
  logger: Logger;
  /** How long an event's outcome stays readable for racing submits (default 10 s). */
  outcomeTtlMs?: number;
}

/** A running ingest worker. */
export interface IngestWorker {
  readonly worker: Worker<IngestJobData>;
  /** True while the worker and its reply connection are up. */
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
 * Starts the BullMQ ingest worker: each job is rebuilt into an IngestRequest and run through
 * the ingest pipeline; the outcome is published to the submitting gateway (and to concurrent
 * submitters of the same id). An `error:` outcome is retried while attempts remain. A job that
 * runs twice stores its event once (the store answers duplicate) and publishes it at most once
 * (the pipeline publishes only what it stored). The pipeline stays the caller's to close.
 */
export function startIngestWorker(options: IngestWorkerOptions): IngestWorker {
  const { logger, pipeline } = options;
  const replies: IngestReplyPublisher = createIngestReplyPublisher({
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    logger,
    outcomeTtlMs: options.outcomeTtlMs ?? DEFAULT_OUTCOME_TTL_MS,
  });

  async function processJob(job: Job<IngestJobData>): Promise<boolean> {
    let data: IngestJobData;
    try {
      data = decodeJobData(job.data);
    } catch (err) {
      // No trustworthy reply address: nothing to answer, and retrying cannot help.
      logger.error({ err, job: job.id }, 'dropped an undecodable ingest job');
      return false;
    }
    let result: IngestResult;
    try {
      result = await pipeline.process(requestFromJobData(data));
    } catch (err) {
      if (err instanceof WireFormatError) {
        result = MALFORMED;
      } else {
        // The pipeline answers rather than throws; if it ever throws, retry, then answer.
        logger.error({ err, event: data.id }, 'ingest pipeline threw');
        result = PIPELINE_FAILED;
      }
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (result.reason.startsWith('error:') && !lastAttempt) {
      throw new TransientIngestError(result.reason);
    }
    await replies.answer(data, result);
    return result.ok;
  }

  const worker = new Worker<IngestJobData>(options.queueName, processJob, {
    connection: { url: options.redisUrl },
    prefix: options.prefix,
    concurrency: options.concurrency,
    // Backstop for jobs added without removal options: finished jobs never accumulate, and a
    // kept job would swallow later submits of its event id.
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
  });
  worker.on('error', (err) => logger.error({ err }, 'ingest worker error'));
  const queueMetrics = observeIngestQueue(worker, options);
  worker.on('failed', (job, err) => {
    const level = err instanceof TransientIngestError ? 'warn' : 'error';
    logger[level]({ err, job: job?.id, attempt: job?.attemptsMade }, 'ingest job failed');
  });

  return {
    worker,
    isReady: () => worker.isRunning() && replies.isReady(),
    async close() {
      await worker.close();
      await queueMetrics.close();
      await replies.close();
    },
  };
}
