import { bullmqConnectionOf, bullmqPrefixOf, quitRedis, type RedisTarget } from '@nrelay/redis';
import type { IngestJobData } from '@nrelay/seams/ingest';
import { LATENCY_BUCKETS_SECONDS, type ObservableResult, relayMeter } from '@nrelay/telemetry';
import { type Job, Queue, type Worker } from 'bullmq';
import type { Logger } from 'pino';

/** How often the queue's job counts are read from Redis by default. */
export const QUEUE_DEPTH_POLL_MS = 5_000;

/** Job states exported as `nrelay_ingest_queue_depth{state}`. */
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;
const STATE_ATTRS = new Map(STATES.map((state) => [state, { state }]));

/** Options of {@link observeIngestQueue}. */
export interface IngestQueueMetricsOptions {
  target: RedisTarget;
  queueName: string;
  prefix: string;
  logger: Logger;
  /** Poll interval of the job counts (default {@link QUEUE_DEPTH_POLL_MS}). */
  pollMs?: number;
}

/**
 * Exports the ingest queue's depth by state (`getJobCounts`, polled, so a scrape never waits on
 * Redis; the gauge is absent while Redis cannot answer) and each job's wait from enqueue to
 * the start of its first attempt. Every worker reports the same shared queue: aggregate with
 * max(), not sum().
 */
export function observeIngestQueue(
  worker: Worker<IngestJobData>,
  options: IngestQueueMetricsOptions,
): { close(): Promise<void> } {
  const meter = relayMeter();
  const wait = meter.createHistogram('nrelay_ingest_queue_wait_seconds', {
    description: 'Time an ingest job waited in the queue before its first attempt started',
    unit: 's',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS },
  });
  const depth = meter.createObservableGauge('nrelay_ingest_queue_depth', {
    description: 'Ingest jobs in the queue, by state (polled)',
  });
  const onActive = (job: Job<IngestJobData>) => {
    if (job.attemptsMade > 0) return;
    wait.record(Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp) / 1000);
  };
  worker.on('active', onActive);

  const connection = bullmqConnectionOf(options.target);
  const queue = new Queue(options.queueName, {
    connection,
    prefix: bullmqPrefixOf(options.target, options.prefix),
  });
  queue.on('error', (err) => options.logger.debug({ err }, 'queue metrics connection error'));
  let counts: Record<string, number> | undefined;
  let polling = false;
  const poll = () => {
    if (polling) return;
    polling = true;
    queue
      .getJobCounts(...STATES)
      .then(
        (c) => {
          counts = c;
        },
        () => {
          counts = undefined;
        },
      )
      .finally(() => {
        polling = false;
      });
  };
  poll();
  const timer = setInterval(poll, options.pollMs ?? QUEUE_DEPTH_POLL_MS);
  timer.unref();
  const observe = (result: ObservableResult) => {
    if (counts === undefined) return;
    for (const [state, attrs] of STATE_ATTRS) result.observe(counts[state] ?? 0, attrs);
  };
  depth.addCallback(observe);

  return {
    async close() {
      clearInterval(timer);
      depth.removeCallback(observe);
      worker.off('active', onActive);
      await queue.close();
      if (!('url' in connection)) await quitRedis(connection);
    },
  };
}
