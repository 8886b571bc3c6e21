import type { RedisLogger, RedisTarget } from '@nrelay/redis';
import { aclChannel, createRedisAccessChangeBus } from './redis-access-changes.js';

/** Where a cluster's announcements go: its Redis (REDIS_URL or REDIS_CLUSTER_NODES) and key prefix (REDIS_PREFIX). */
export interface AnnounceTarget {
  target: RedisTarget;
  prefix: string;
}

const SILENT: RedisLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Tells every gateway and worker of a cluster that stored events were written outside the
 * ingest path (an `events` change on its access channel): the hot windows re-warm from the
 * store and follow lists reload (ADR 0018). The bench's direct seeding and `nrelay import`
 * call it once their writes are committed. Resolves once the message is published.
 */
export async function announceStoredEvents(
  target: AnnounceTarget,
  logger: RedisLogger = SILENT,
): Promise<void> {
  const bus = createRedisAccessChangeBus({
    target: target.target,
    channel: aclChannel(target.prefix),
    logger,
  });
  try {
    await bus.ready();
    await bus.publish({ v: 1, what: 'events' });
  } finally {
    await bus.close();
  }
}
