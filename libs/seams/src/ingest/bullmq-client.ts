import { randomBytes } from 'node:crypto';
import { connectRedis, quitRedis, type RedisLogger, whenConnected } from '@nrelay/redis';
import { type JobsOptions, Queue } from 'bullmq';
import { decodeReplies, type IngestJobData, type IngestReply, toJobEntry } from './codec.js';
import { cancelJob, type IngestWorkerWatch, ingestAliveKey, watchIngestWorkers } from './coordination.js';
import { replyChannel } from './reply-publisher.js';
import { type IngestClient, type IngestRequest, type IngestResult, SHUTTING_DOWN } from './seam.js';

/** The name of every ingest job (the submits one gateway collected in one event-loop turn). */
export const INGEST_JOB_NAME = 'events';
/** Job attempts by default: the first try and six retries (backoff 0.25 + 0.5 + … + 8 s ≈ 16 s) of transient store errors. */
export const DEFAULT_JOB_ATTEMPTS = 7;
/** First retry delay by default; doubles per attempt. */
export const DEFAULT_JOB_BACKOFF_MS = 250;
/** How long a submit whose job a worker already runs may wait for its answer, by default (ms). */
export const DEFAULT_REPLY_DEADLINE_MS = 60_000;
/** Between two attempts to cancel a job while Redis does not answer (ms). */
const CANCEL_RETRY_MS = 500;
/** Most submits carried by one job, by default. */
export const DEFAULT_JOB_BATCH = 256;
/** How long a busy gateway holds submits to fill a job, by default (ms). */
const DEFAULT_JOB_LINGER_MS = 5;
/**
 * Queue adds in flight at once per gateway. While they are all out, new submits wait in the
 * buffer and leave together with the next add: the busier the gateway, the bigger the jobs,
 * and a lone submit still leaves at once (Nagle's algorithm, for jobs).
 */
const ADDS_IN_FLIGHT = 2;

/** Options of the BullMQ IngestClient. */
export interface BullmqIngestClientOptions {
  redisUrl: string;
  /** BullMQ queue name, e.g. `ingest`; the ingest workers consume the same queue. */
  queueName: string;
  /** The deployment's Redis prefix: BullMQ keys and reply channels start with it. */
  prefix: string;
  /** Unique per gateway process: its replies arrive on `${prefix}:reply:${gatewayId}`. */
  gatewayId: string;
  logger: RedisLogger;
  /**
   * When no OK arrived within this time, the submit's job is cancelled if no worker claimed it
   * yet (answer: `error: … not stored`); a claimed job is awaited until `replyDeadlineMs`.
   */
  replyTimeoutMs: number;
  /**
   * The longest a submit waits, counted from its job's add, when a worker claimed the job but did
   * not answer (default `DEFAULT_REPLY_DEADLINE_MS`); then it gets {@link OUTCOME_UNKNOWN}.
   */
  replyDeadlineMs?: number;
  /**
   * Poll interval of the ingest workers' heartbeat (ms). When set, submits are refused at once
   * with {@link INGEST_UNAVAILABLE} while no worker is alive. Unset: no check.
   */
  workerHeartbeatMs?: number;
  /** Tries per job, retries only for transient errors (default `DEFAULT_JOB_ATTEMPTS`). */
  jobAttempts?: number;
  /** First retry delay, exponential (default `DEFAULT_JOB_BACKOFF_MS`). */
  jobBackoffMs?: number;
  /** Most submits in one job (default `DEFAULT_JOB_BATCH`). */
  jobBatch?: number;
  /**
   * While earlier submits still wait for their OK (the gateway is busy), a new submit is held
   * this many ms and leaves with the others that arrive meanwhile; with nothing outstanding it
   * leaves at once (default `DEFAULT_JOB_LINGER_MS`; 0 = every event-loop turn).
   */
  jobLingerMs?: number;
}

/** The cluster IngestClient, with the readiness a gateway reports on /readyz. */
export interface BullmqIngestClient extends IngestClient {
  /**
   * True while the queue connection is up, the reply channel is subscribed and (with
   * `workerHeartbeatMs`) an ingest worker is alive: what a gateway's write readiness reports.
   */
  isReady(): boolean;
  /** Resolves once the reply channel is subscribed and the queue connection is up. */
  ready(): Promise<void>;
}

/** The OK of a submit that got no answer in time and whose job was cancelled: not stored. */
export const REPLY_TIMEOUT: IngestResult = {
  ok: false,
  reason: 'error: timed out waiting for the ingest worker; not stored, try again',
};
/** The OK of a submit refused at once: Redis is unreachable or no ingest worker is alive. */
export const INGEST_UNAVAILABLE: IngestResult = {
  ok: false,
  reason: 'error: ingest unavailable, not stored, try again later',
};
/**
 * The one `error:` that does not promise "not stored": a worker claimed the job and did not
 * answer by the deadline (it may still commit). Counted and logged; see docs/operations.md.
 */
export const OUTCOME_UNKNOWN: IngestResult = {
  ok: false,
  reason: 'error: ingest did not answer in time; the event may have been stored',
};

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
  const { gatewayId, logger, replyTimeoutMs, prefix } = options;
  const replyDeadlineMs = Math.max(replyTimeoutMs, options.replyDeadlineMs ?? DEFAULT_REPLY_DEADLINE_MS);
  const jobBatch = Math.max(1, options.jobBatch ?? DEFAULT_JOB_BATCH);
  const lingerMs = Math.max(0, options.jobLingerMs ?? DEFAULT_JOB_LINGER_MS);
  const jobOptions: JobsOptions = {
    attempts: options.jobAttempts ?? DEFAULT_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: options.jobBackoffMs ?? DEFAULT_JOB_BACKOFF_MS },
    removeOnComplete: true,
    removeOnFail: true,
  };
  const commands = connectRedis(options.redisUrl, `ingest-client:${options.prefix}:${gatewayId}`, logger);
  const queue = new Queue<IngestJobData>(options.queueName, { connection: commands, prefix: options.prefix });
  queue.on('error', (err) => logger.warn({ err }, 'ingest queue error'));
  const subscriber = connectRedis(options.redisUrl, `ingest-replies:${options.prefix}:${gatewayId}`, logger, {
    maxRetriesPerRequest: null,
  });
  const channel = replyChannel(options.prefix, gatewayId);
  // Refs are unique to this process, even across restarts under the same gateway id.
  const refPrefix = randomBytes(6).toString('base64url');
  let refCounter = 0;
  const pending = new Map<string, Pending>();
  let buffer: Pending[] = [];
  let flushScheduled = false;
  let addsInFlight = 0;
  let subscribed = false;
  let everSubscribed = false;
  let closed = false;
  const subscription = subscriber.subscribe(channel).then(() => {
    subscribed = true;
    everSubscribed = true;
  });
  subscription.catch((err: unknown) => logger.error({ err, channel }, 'reply channel subscribe failed'));
  const workers: IngestWorkerWatch | undefined =
    options.workerHeartbeatMs === undefined
      ? undefined
      : watchIngestWorkers({
          redis: commands,
          key: ingestAliveKey(prefix, options.queueName),
          intervalMs: options.workerHeartbeatMs,
          logger,
        });
  let jobCounter = 0;
  subscriber.on('close', () => {
    subscribed = false;
  });
  subscriber.on('ready', () => {
    // Re-subscribed by ioredis as the first command after a reconnect.
    if (everSubscribed) subscribed = true;
  });
  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
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
  });

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
        cancelled = await cancelJob(commands, prefix, job.id);
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
    return subscribed && subscriber.status === 'ready' && commands.status === 'ready';
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
      await Promise.all([quitRedis(subscriber), quitRedis(commands)]);
    },
  };
}
