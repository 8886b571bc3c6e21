import { randomBytes } from 'node:crypto';
import type { IngestClient, IngestRequest, IngestResult } from '@nrelay/contracts';
import { type JobsOptions, Queue } from 'bullmq';
import { decodeReplies, type IngestJobData, type IngestReply, toJobEntry } from './codec.js';
import { type ClusterLogger, connectRedis, quitRedis, replyChannel, whenConnected } from './redis.js';

/** The name of every ingest job (the submits one gateway collected in one event-loop turn). */
export const INGEST_JOB_NAME = 'events';
/** Job attempts by default: the first try and two retries of transient store errors. */
export const DEFAULT_JOB_ATTEMPTS = 3;
/** First retry delay by default; doubles per attempt. */
export const DEFAULT_JOB_BACKOFF_MS = 250;
/** Most submits carried by one job, by default. */
export const DEFAULT_JOB_BATCH = 256;
/** How long a busy gateway holds submits to fill a job, by default (ms). */
export const DEFAULT_JOB_LINGER_MS = 5;
/**
 * Queue adds in flight at once per gateway. While they are all out, new submits wait in the
 * buffer and leave together with the next add: the busier the gateway, the bigger the jobs,
 * and a lone submit still leaves at once (Nagle's algorithm, for jobs).
 */
export const ADDS_IN_FLIGHT = 2;

/** Options of the BullMQ IngestClient. */
export interface BullmqIngestClientOptions {
  redisUrl: string;
  /** BullMQ queue name, e.g. `ingest`; the ingest workers consume the same queue. */
  queueName: string;
  /** The deployment's Redis prefix: BullMQ keys and reply channels start with it. */
  prefix: string;
  /** Unique per gateway process: its replies arrive on `${prefix}:reply:${gatewayId}`. */
  gatewayId: string;
  logger: ClusterLogger;
  /** A submit answers `error: timed out ...` when no OK arrived within this time. */
  replyTimeoutMs: number;
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
  /** True while the queue connection is up and the reply channel is subscribed. */
  isReady(): boolean;
  /** Resolves once the reply channel is subscribed and the queue connection is up. */
  ready(): Promise<void>;
}

/** The OK of a submit that got no answer in time. */
export const REPLY_TIMEOUT: IngestResult = {
  ok: false,
  reason: 'error: timed out waiting for the ingest worker, try again',
};
const QUEUE_ERROR: IngestResult = { ok: false, reason: 'error: could not queue the event, try again later' };
const CLOSING: IngestResult = { ok: false, reason: 'error: relay is shutting down, try again later' };

interface Pending {
  ref: string;
  request: IngestRequest;
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
      add(batch)
        .catch((err: unknown) => {
          logger.error({ err, events: batch.length }, 'could not queue events');
          for (const entry of batch) entry.settle(QUEUE_ERROR);
        })
        .finally(() => {
          addsInFlight--;
          // Submits held back while the adds were out leave with the next window.
          if (buffer.length > 0) schedule();
        });
    }
  }

  async function add(batch: Pending[]): Promise<void> {
    // A reply published before the channel is subscribed would be lost.
    await subscription;
    const data: IngestJobData = {
      v: 1,
      gatewayId,
      entries: batch.map((entry) => toJobEntry(entry.request, entry.ref)),
    };
    await queue.add(INGEST_JOB_NAME, data, jobOptions);
  }

  function submit(request: IngestRequest, signal?: AbortSignal): Promise<IngestResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (closed) return Promise.resolve(CLOSING);
    return new Promise<IngestResult>((resolve, reject) => {
      const ref = `${refPrefix}${(refCounter++).toString(36)}`;
      const timer = setTimeout(() => entry.settle(REPLY_TIMEOUT), replyTimeoutMs);
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
    isReady: () => !closed && subscribed && subscriber.status === 'ready' && commands.status === 'ready',
    async ready() {
      await Promise.all([subscription, whenConnected(commands)]);
    },
    async close() {
      closed = true;
      buffer = [];
      for (const entry of [...pending.values()]) entry.settle(CLOSING);
      await queue.close();
      await Promise.all([quitRedis(subscriber), quitRedis(commands)]);
    },
  };
}
