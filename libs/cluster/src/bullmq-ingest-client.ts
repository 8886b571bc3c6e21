import { randomBytes } from 'node:crypto';
import type { IngestClient, IngestRequest, IngestResult } from '@nrelay/contracts';
import { type JobsOptions, Queue } from 'bullmq';
import { decodeReply, type IngestJobData, type IngestReply, toJobData } from './codec.js';
import {
  type ClusterLogger,
  connectRedis,
  outcomeKey,
  quitRedis,
  replyChannel,
  waitersKey,
  whenConnected,
} from './redis.js';

/** The name of every ingest job (one event each). */
export const INGEST_JOB_NAME = 'event';
/** Job attempts by default: the first try and two retries of transient store errors. */
export const DEFAULT_JOB_ATTEMPTS = 3;
/** First retry delay by default; doubles per attempt. */
export const DEFAULT_JOB_BACKOFF_MS = 250;

/** Options of the BullMQ IngestClient. */
export interface BullmqIngestClientOptions {
  redisUrl: string;
  /** BullMQ queue name, e.g. `ingest`; the ingest workers consume the same queue. */
  queueName: string;
  /** The deployment's Redis prefix: BullMQ keys, reply channels and waiter keys start with it. */
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
const DUPLICATE: IngestResult = { ok: true, reason: 'duplicate: already have this event' };
const QUEUE_ERROR: IngestResult = { ok: false, reason: 'error: could not queue the event, try again later' };
const CLOSING: IngestResult = { ok: false, reason: 'error: relay is shutting down, try again later' };

interface Pending {
  ref: string;
  request: IngestRequest;
  resubmitted: boolean;
  settle(result: IngestResult): void;
}

/**
 * The gateway side of ingest: one BullMQ job per event (`jobId` = event id), the OK back on
 * this gateway's reply channel matched by a per-submit `ref`.
 *
 * Concurrent submits of one event id: each submit first registers itself, in one MULTI, in the
 * event's waiter list and reads the event's recent outcome. If an outcome exists, the submit is
 * answered from it; otherwise it adds the job, which is a no-op when a job with that id
 * already exists. The worker that finishes a job, in one MULTI, records the outcome (a few
 * seconds), takes the waiter list and answers; so every submit either is in the list the
 * worker takes or sees the outcome it records: each gets exactly one OK.
 *
 * An outcome of another submission (`shared`) is final only when it is OK true (the event is
 * durable; its id fixes its content) and is then answered as a duplicate, as standalone does.
 * A refusal may belong to the other copy alone (a bad signature on the same id, another
 * connection's AUTH), so the waiter then submits its own copy once, under a job id of its own.
 * A submit that finds the outcome of an already FINISHED job also submits its own copy: the
 * store may have changed since (a deletion), and only the pipeline can answer for it now.
 */
export function createBullmqIngestClient(options: BullmqIngestClientOptions): BullmqIngestClient {
  const { prefix, gatewayId, logger, replyTimeoutMs } = options;
  const jobOptions: JobsOptions = {
    attempts: options.jobAttempts ?? DEFAULT_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: options.jobBackoffMs ?? DEFAULT_JOB_BACKOFF_MS },
    // A finished job must not linger: a jobId deduplicates only while the job exists, and a
    // kept job would swallow the next submit of its event. Outcomes live in our own key.
    removeOnComplete: true,
    removeOnFail: true,
  };
  // Waiter entries are useless once their submit gave up.
  const waiterTtlMs = replyTimeoutMs + 1_000;
  const commands = connectRedis(options.redisUrl, `ingest-client:${prefix}:${gatewayId}`, logger);
  const queue = new Queue<IngestJobData>(options.queueName, { connection: commands, prefix });
  queue.on('error', (err) => logger.warn({ err }, 'ingest queue error'));
  const subscriber = connectRedis(options.redisUrl, `ingest-replies:${prefix}:${gatewayId}`, logger, {
    maxRetriesPerRequest: null,
  });
  const channel = replyChannel(prefix, gatewayId);
  const pending = new Map<string, Pending>();
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
    let reply: IngestReply;
    try {
      reply = decodeReply(payload);
    } catch (err) {
      logger.warn({ err }, 'dropped an undecodable ingest reply');
      return;
    }
    const entry = pending.get(reply.ref);
    if (entry === undefined) return; // timed out, aborted, or already answered
    if (reply.shared) onSharedOutcome(entry, reply);
    else entry.settle({ ok: reply.ok, reason: reply.reason });
  });

  function onSharedOutcome(entry: Pending, outcome: IngestReply): void {
    if (outcome.ok) {
      // Another submission stored it (or found it stored): for this one it is a duplicate.
      entry.settle({ ok: true, reason: outcome.reason || DUPLICATE.reason });
      return;
    }
    if (entry.resubmitted) {
      entry.settle({ ok: outcome.ok, reason: outcome.reason });
      return;
    }
    resubmitOwnCopy(entry);
  }

  function resubmitOwnCopy(entry: Pending): void {
    entry.resubmitted = true;
    const data = toJobData(entry.request, entry.ref);
    queue
      .add(INGEST_JOB_NAME, data, { ...jobOptions, jobId: `${data.id}-${entry.ref}` })
      .catch((err: unknown) => {
        logger.error({ err, event: data.id }, 'could not resubmit an event');
        entry.settle(QUEUE_ERROR);
      });
  }

  async function start(entry: Pending): Promise<void> {
    await subscription;
    const id = entry.request.event.event.id;
    const waiters = waitersKey(prefix, id);
    const results = await commands
      .multi()
      .rpush(waiters, `${entry.ref} ${gatewayId}`)
      .pexpire(waiters, waiterTtlMs)
      .get(outcomeKey(prefix, id))
      .exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('waiter registration was discarded');
    if (!pending.has(entry.ref)) return;
    if (typeof results[2]?.[1] === 'string') {
      // That job is finished (and being removed): this submit gets a job of its own.
      resubmitOwnCopy(entry);
      return;
    }
    await queue.add(INGEST_JOB_NAME, toJobData(entry.request, entry.ref), { ...jobOptions, jobId: id });
  }

  function submit(request: IngestRequest, signal?: AbortSignal): Promise<IngestResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (closed) return Promise.resolve(CLOSING);
    return new Promise<IngestResult>((resolve, reject) => {
      const ref = randomBytes(12).toString('hex');
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
        resubmitted: false,
        settle(result) {
          cleanup();
          resolve(result);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(ref, entry);
      start(entry).catch((err: unknown) => {
        if (!pending.has(ref)) return;
        logger.error({ err, event: request.event.event.id }, 'could not queue an event');
        entry.settle(QUEUE_ERROR);
      });
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
      for (const entry of [...pending.values()]) entry.settle(CLOSING);
      await queue.close();
      await Promise.all([quitRedis(subscriber), quitRedis(commands)]);
    },
  };
}
