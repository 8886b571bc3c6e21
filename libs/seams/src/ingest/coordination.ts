/**
 * What gateways and ingest workers agree on through Redis besides the queue itself: whether any
 * worker is alive (a heartbeat key), and the fate of each job (a worker claims it before storing
 * anything; a gateway that gave up on it cancels it first). One `SET … NX GET` decides each
 * job's fate atomically, so a gateway answers `error:` for a job only when no worker will ever
 * store it (docs/adr/0003-cluster-seams.md, "An error means not stored").
 */

import type { RedisClient as Redis, RedisLogger } from '@nrelay/redis';

/** How long a job's fate is remembered: longer than any job waits, runs and retries. */
export const JOB_FATE_TTL_MS = 15 * 60_000;
/** The heartbeat key lives this many heartbeat intervals: two missed beats are tolerated. */
const HEARTBEAT_TTL_INTERVALS = 3;

const TAKEN = 'taken';
const CANCELLED = 'cancelled';

/** The key an alive ingest worker of `queueName` refreshes. */
export function ingestAliveKey(prefix: string, queueName: string): string {
  return `${prefix}:ingest-alive:${queueName}`;
}

function fateKey(prefix: string, jobId: string): string {
  return `${prefix}:job-fate:${jobId}`;
}

/**
 * Worker side, before a job stores anything: true when the job is ours to run (first claim, or a
 * retry / re-run of a claimed job), false when its gateway already cancelled it.
 */
export async function claimJob(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  const previous = await redis.call('SET', fateKey(prefix, jobId), TAKEN, 'PX', JOB_FATE_TTL_MS, 'NX', 'GET');
  return previous !== CANCELLED;
}

/**
 * Gateway side, after giving up waiting: true when the job is now cancelled and no worker will
 * ever run it (its submits may be answered "not stored"), false when a worker already claimed it
 * (its real answer is still to come).
 */
export async function cancelJob(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  const previous = await redis.call(
    'SET',
    fateKey(prefix, jobId),
    CANCELLED,
    'PX',
    JOB_FATE_TTL_MS,
    'NX',
    'GET',
  );
  return previous === null || previous === CANCELLED;
}

/** A running heartbeat. */
export interface IngestHeartbeat {
  /** True while the last refresh of the alive key succeeded within its lifetime. */
  beating(): boolean;
  stop(): void;
}

/**
 * Worker side: refreshes the alive key every `intervalMs` (and at once on every (re)connect)
 * while `isAlive()` (the worker runs and its database is reachable), so gateways refuse EVENTs at
 * once when no worker could store them.
 */
export function startIngestHeartbeat(opts: {
  redis: Redis;
  key: string;
  intervalMs: number;
  workerId: string;
  isAlive: () => boolean;
  logger: RedisLogger;
}): IngestHeartbeat {
  const ttlMs = opts.intervalMs * HEARTBEAT_TTL_INTERVALS;
  let lastBeat = Number.NEGATIVE_INFINITY;
  const beat = () => {
    if (!opts.isAlive() || opts.redis.status !== 'ready') return;
    const at = Date.now();
    opts.redis.set(opts.key, opts.workerId, 'PX', ttlMs).then(
      () => {
        lastBeat = at;
      },
      (err: unknown) => opts.logger.debug({ err }, 'ingest heartbeat failed'),
    );
  };
  beat();
  opts.redis.on('ready', beat);
  const timer = setInterval(beat, opts.intervalMs);
  timer.unref();
  return {
    beating: () => opts.isAlive() && Date.now() - lastBeat < ttlMs,
    stop() {
      clearInterval(timer);
      opts.redis.off('ready', beat);
    },
  };
}

/** Gateway side: whether some ingest worker refreshed the alive key lately. */
export interface IngestWorkerWatch {
  /** The verdict of the last check. */
  alive(): boolean;
  /** Checks now (also updates `alive`). */
  check(): Promise<boolean>;
  stop(): void;
}

/** Polls the alive key every `intervalMs`; an unreachable Redis counts as no worker. */
export function watchIngestWorkers(opts: {
  redis: Redis;
  key: string;
  intervalMs: number;
  logger: RedisLogger;
}): IngestWorkerWatch {
  let alive = false;
  const check = async (): Promise<boolean> => {
    let now = false;
    try {
      now = opts.redis.status === 'ready' && (await opts.redis.exists(opts.key)) === 1;
    } catch (err) {
      // Cannot tell (the key's shard is failing over, a command timed out): keep the last
      // verdict. A Redis the gateway cannot reach at all refuses EVENTs through its own check.
      opts.logger.debug({ err }, 'ingest worker check failed');
      return alive;
    }
    if (now !== alive) {
      if (now) opts.logger.info({}, 'an ingest worker is alive: accepting EVENTs');
      else opts.logger.warn({}, 'no ingest worker alive: EVENTs are refused until one is back');
    }
    alive = now;
    return now;
  };
  const timer = setInterval(() => void check(), opts.intervalMs);
  timer.unref();
  return { alive: () => alive, check, stop: () => clearInterval(timer) };
}
