import { randomBytes } from 'node:crypto';
import { bullmqPrefixOf, connectRedis, openSubscription, quitRedis, whenConnected } from '@nrelay/redis';
import { type JobsOptions, Queue } from 'bullmq';
import {
  type BullmqIngestClient,
  type BullmqIngestClientOptions,
  DEFAULT_JOB_ATTEMPTS,
  DEFAULT_JOB_BACKOFF_MS,
  DEFAULT_JOB_BATCH,
  DEFAULT_JOB_LINGER_MS,
  DEFAULT_REPLY_DEADLINE_MS,
  INGEST_JOB_NAME,
  INGEST_UNAVAILABLE,
  OUTCOME_UNKNOWN,
  REPLY_TIMEOUT,
} from './bullmq-client-api.js';
import { decodeReplies, type IngestJobData, type IngestReply, toJobEntry } from './codec.js';
import { cancelJob, type IngestWorkerWatch, ingestAliveKey, watchIngestWorkers } from './coordination.js';
import { replyChannel } from './reply-publisher.js';
import { type IngestRequest, type IngestResult, SHUTTING_DOWN } from './seam.js';

/** Between two attempts to cancel a job while Redis does not answer (ms). */
const CANCEL_RETRY_MS = 500;
/**
 * Queue adds in flight at once per gateway. While they are all out, new submits wait in the
 * buffer and leave together with the next add: the busier the gateway, the bigger the jobs,
 * and a lone submit still leaves at once (Nagle's algorithm, for jobs).
 */
const ADDS_IN_FLIGHT = 2;

/** One job as this gateway added it (or tried to). */
interface SentJob {
  id: string;
  entries: Pending[];
  /** Settles (never rejects) once the add answered. */
  added: Promise<void>;
  sentAt: number;
  /** Set once a submit of the job timed out: the cancel attempt, then the wait for answers. */
  givingUp?: Promise<void>;
}

interface Pending {
  ref: string;
  request: IngestRequest;
  /** The job carrying it, from the moment its add starts. */
  job?: SentJob;
  settle(result: IngestResult): void;
}

/**
 * The gateway side of ingest. Submits made in one turn of the event loop leave as ONE BullMQ job
 * (up to `jobBatch`); while earlier submits still wait for their OK, new ones are held
 * `jobLingerMs` to fill the job. The worker answers a job's submits together, in one message on
 * this gateway's reply channel, each matched to its submit by a `ref` unique to this process.
 * A job costs the queue and the worker about the same whatever it carries (~40 Redis commands),
 * so batching takes that cost off the per-event path (docs/adr/0003-cluster-seams.md).
 *
 * Two submits of the same event (two connections, two gateways) are two entries, each run
 * through the pipeline: the store's primary key lets one be stored and answers the other
 * `duplicate:`, and a copy with a bad signature is refused on its own without blocking a good
 * copy of the same id.
 */
export function createBullmqIngestClient(options: BullmqIngestClientOptions): BullmqIngestClient {
  const { gatewayId, logger, replyTimeoutMs } = options;
  const replyDeadlineMs = Math.max(replyTimeoutMs, options.replyDeadlineMs ?? DEFAULT_REPLY_DEADLINE_MS);
  const jobBatch = Math.max(1, options.jobBatch ?? DEFAULT_JOB_BATCH);
  const lingerMs = Math.max(0, options.jobLingerMs ?? DEFAULT_JOB_LINGER_MS);
  const jobOptions: JobsOptions = {
    attempts: options.jobAttempts ?? DEFAULT_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: options.jobBackoffMs ?? DEFAULT_JOB_BACKOFF_MS },
    removeOnComplete: true,
    removeOnFail: true,
  };
  const commands = connectRedis(options.target, `ingest-client:${options.prefix}:${gatewayId}`, logger);
  // On a Redis Cluster the queue, the alive key, the job fates and the reply channels share one
  // hash tag: ingest then depends on one shard (its failover), not on up to three.
  const queuePrefix = bullmqPrefixOf(options.target, options.prefix);
  const queue = new Queue<IngestJobData>(options.queueName, { connection: commands, prefix: queuePrefix });
  queue.on('error', (err) => logger.warn({ err }, 'ingest queue error'));
  const channel = replyChannel(queuePrefix, gatewayId);
  // Refs are unique to this process, even across restarts under the same gateway id.
  const refPrefix = randomBytes(6).toString('base64url');
  let refCounter = 0;
  const pending = new Map<string, Pending>();
  let buffer: Pending[] = [];
  let flushScheduled = false;
  let addsInFlight = 0;
  let closed = false;
  // A sharded channel on a Redis Cluster: only the shard that owns it carries the replies.
  const subscriber = openSubscription(options.target, commands, {
    role: `ingest-replies:${options.prefix}:${gatewayId}`,
    channels: [channel],
    logger,
    onMessage(_from, payload) {
      let replies: IngestReply[];
      try {
        replies = decodeReplies(payload);
      } catch (err) {
        logger.warn({ err }, 'dropped an undecodable ingest reply');
        return;
      }
      for (const reply of replies) {
        // Absent when it timed out, was aborted or already answered.
        pending.get(reply.ref)?.settle({ ok: reply.ok, reason: reply.reason });
      }
    },
  });
  let everSubscribed = false;
  const subscription = subscriber.ready().then(() => {
    everSubscribed = true;
  });
  subscription.catch((err: unknown) => logger.error({ err, channel }, 'reply channel subscribe failed'));
  const workers: IngestWorkerWatch | undefined =
    options.workerHeartbeatMs === undefined
      ? undefined
      : watchIngestWorkers({
          redis: commands,
          key: ingestAliveKey(queuePrefix, options.queueName),
          intervalMs: options.workerHeartbeatMs,
          logger,
        });
  let jobCounter = 0;

  function schedule(): void {
    if (buffer.length >= jobBatch) {
      flush();
      return;
    }
    if (flushScheduled) return;
    flushScheduled = true;
    // Busy: submits already sent still wait for their OK.
    if (lingerMs > 0 && pending.size > buffer.length) setTimeout(flush, lingerMs);
    else setImmediate(flush);
  }

  function flush(): void {
    flushScheduled = false;
    while (buffer.length > 0 && addsInFlight < ADDS_IN_FLIGHT) {
      // Submits aborted while buffered are not sent.
      const batch = buffer.splice(0, jobBatch).filter((entry) => pending.has(entry.ref));
      if (batch.length === 0) continue;
      addsInFlight++;
      const job: SentJob = {
        id: `${refPrefix}.${(jobCounter++).toString(36)}`,
        entries: batch,
        added: Promise.resolve(),
        sentAt: Date.now(),
      };
      for (const entry of batch) entry.job = job;
      job.added = add(job)
        .catch((err: unknown) => {
          // The add may or may not have reached Redis: only a cancel tells "not stored".
          logger.error({ err, events: batch.length, job: job.id }, 'could not queue events');
          job.givingUp ??= giveUp(job);
        })
        .finally(() => {
          addsInFlight--;
          // Submits held back while the adds were out leave with the next window.
          if (buffer.length > 0) schedule();
        });
    }
  }

  async function add(job: SentJob): Promise<void> {
    // A reply published before the channel is subscribed would be lost.
    await subscription;
    const data: IngestJobData = {
      v: 1,
      gatewayId,
      entries: job.entries.map((entry) => toJobEntry(entry.request, entry.ref)),
    };
    await queue.add(INGEST_JOB_NAME, data, { ...jobOptions, jobId: job.id });
  }

  function unanswered(job: SentJob): Pending[] {
    return job.entries.filter((entry) => pending.has(entry.ref));
  }

  function answerRest(job: SentJob, result: IngestResult): void {
    const rest = unanswered(job);
    if (rest.length === 0) return;
    if (result === OUTCOME_UNKNOWN)
      logger.error({ job: job.id, events: rest.length }, 'ingest outcome unknown');
    for (const entry of rest) entry.settle(result);
  }

  /**
   * A submit of `job` timed out: cancel the job unless a worker claimed it. Cancelled → every
   * submit still waiting is answered "not stored" (truthfully: no worker will run it). Claimed →
   * the worker's answers are awaited until the deadline. Redis unreachable → retried until then.
   */
  async function giveUp(job: SentJob): Promise<void> {
    await job.added;
    const deadline = job.sentAt + replyDeadlineMs;
    while (!closed && unanswered(job).length > 0) {
      let cancelled: boolean | undefined;
      try {
        cancelled = await cancelJob(commands, queuePrefix, job.id);
      } catch (err) {
        logger.debug({ err, job: job.id }, 'could not cancel an ingest job yet');
      }
      if (cancelled === true) {
        answerRest(job, REPLY_TIMEOUT);
        // Its data is no use any more; a worker would skip it anyway.
        queue.remove(job.id).catch(() => {});
        return;
      }
      const left = deadline - Date.now();
      if (cancelled === false || left <= 0) {
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left).unref());
        answerRest(job, OUTCOME_UNKNOWN);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(CANCEL_RETRY_MS, left)).unref());
    }
  }

  function onTimeout(entry: Pending): void {
    const job = entry.job;
    if (job === undefined) {
      // Still buffered behind the adds in flight: never sent.
      buffer = buffer.filter((other) => other !== entry);
      entry.settle(REPLY_TIMEOUT);
      return;
    }
    job.givingUp ??= giveUp(job);
  }

  /** Refused at once, never queued: closed, Redis lost since start, or no worker alive. */
  function refusal(): IngestResult | undefined {
    if (closed) return SHUTTING_DOWN;
    if (everSubscribed && !connected()) return INGEST_UNAVAILABLE;
    if (workers !== undefined && workersChecked && !workers.alive()) return INGEST_UNAVAILABLE;
    return undefined;
  }

  function connected(): boolean {
    return subscriber.isSubscribed() && commands.status === 'ready';
  }
  let workersChecked = false;

  function submit(request: IngestRequest, signal?: AbortSignal): Promise<IngestResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const refused = refusal();
    if (refused !== undefined) return Promise.resolve(refused);
    return new Promise<IngestResult>((resolve, reject) => {
      const ref = `${refPrefix}${(refCounter++).toString(36)}`;
      const timer = setTimeout(() => onTimeout(entry), replyTimeoutMs);
      const onAbort = () => {
        cleanup();
        reject(signal?.reason);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        pending.delete(ref);
      };
      const entry: Pending = {
        ref,
        request,
        settle(result) {
          cleanup();
          resolve(result);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(ref, entry);
      buffer.push(entry);
      schedule();
    });
  }

  return {
    submit,
    isReady: () => !closed && connected() && (workers?.alive() ?? true),
    async ready() {
      await Promise.all([subscription, whenConnected(commands)]);
      if (workers !== undefined) await workers.check();
      workersChecked = true;
    },
    async close() {
      closed = true;
      workers?.stop();
      buffer = [];
      for (const entry of [...pending.values()]) entry.settle(SHUTTING_DOWN);
      await queue.close();
      await subscriber.close();
      await quitRedis(commands);
    },
  };
}
