import type { RedisLogger } from '@nrelay/redis';
import { aclChannel, createRedisAccessChangeBus } from './redis-access-changes.js';

/** Where a cluster's announcements go: its Redis and key prefix (REDIS_URL, REDIS_PREFIX). */
export interface AnnounceTarget {
  redisUrl: string;
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
    redisUrl: target.redisUrl,
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
