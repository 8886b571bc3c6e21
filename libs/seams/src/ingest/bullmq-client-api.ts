import type { RedisLogger, RedisTarget } from '@nrelay/redis';
import type { IngestClient, IngestResult } from './seam.js';

// The BullMQ IngestClient's public face: its options and their defaults, the readiness it
// reports, and the answers it gives itself when no worker answered. The client is in
// ./bullmq-client.ts.

/** The name of every ingest job (the submits one gateway collected in one event-loop turn). */
export const INGEST_JOB_NAME = 'events';
/** Job attempts by default: the first try and six retries (backoff 0.25 + 0.5 + … + 8 s ≈ 16 s) of transient store errors. */
export const DEFAULT_JOB_ATTEMPTS = 7;
/** First retry delay by default; doubles per attempt. */
export const DEFAULT_JOB_BACKOFF_MS = 250;
/** How long a submit whose job a worker already runs may wait for its answer, by default (ms). */
export const DEFAULT_REPLY_DEADLINE_MS = 60_000;
/** Most submits carried by one job, by default. */
export const DEFAULT_JOB_BATCH = 256;
/** How long a busy gateway holds submits to fill a job, by default (ms). */
export const DEFAULT_JOB_LINGER_MS = 5;

/** Options of the BullMQ IngestClient. */
export interface BullmqIngestClientOptions {
  /** The deployment's Redis (REDIS_URL or REDIS_CLUSTER_NODES). */
  target: RedisTarget;
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
