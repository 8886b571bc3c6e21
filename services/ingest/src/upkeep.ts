/**
 * The store's upkeep, run by every process that writes events (the standalone relay, each
 * cluster ingest worker) and composed here once for both (ADR 0014): NIP-40 purges and the
 * planner statistics the relay keeps itself, because it cannot count on autovacuum (off on
 * some servers, absent from PGlite; issue 12).
 */
import type { Config } from '@nrelay/config';
import {
  autovacuumIsOff,
  type EventStore,
  keepStatisticsFresh,
  type StoreDatabase,
  scheduleExpirationPurge,
} from '@nrelay/store';
import type { Logger } from 'pino';

/** Starts the upkeep; the function it returns stops it and waits for a pass in progress. */
export async function startStoreUpkeep(
  config: Config,
  parts: { database: StoreDatabase; store: Pick<EventStore, 'purgeExpired'>; logger: Logger },
): Promise<() => Promise<void>> {
  const { database, store, logger } = parts;
  // NIP-40: every writer purges; the DELETE is idempotent, so more than one is harmless.
  const stopPurge = scheduleExpirationPurge(store, config.EXPIRATION_PURGE_SECONDS * 1000, logger);
  const embedded = config.DATABASE_URL === undefined;
  if (!embedded && (await autovacuumIsOff(database.db))) {
    logger.warn(
      { statsCheckSeconds: config.STATS_CHECK_SECONDS },
      config.STATS_CHECK_SECONDS > 0
        ? 'Postgres autovacuum is off: the relay analyzes and vacuums its own tables (STATS_* settings), but turn autovacuum on if other databases share this server'
        : 'Postgres autovacuum is off and STATS_CHECK_SECONDS=0: planner statistics will go stale and queries slow down; set STATS_CHECK_SECONDS or turn autovacuum on',
    );
  }
  // One pass at a time across every writer (an advisory lock), at start and then periodically.
  const stopStatistics = keepStatisticsFresh(database.db, {
    intervalMs: config.STATS_CHECK_SECONDS * 1000,
    minChanges: config.STATS_MIN_CHANGES,
    changePercent: config.STATS_CHANGE_PERCENT,
    // PGlite runs in this thread: a VACUUM would stall every connection for a full table pass.
    vacuum: !embedded,
    logger,
  });
  return async () => {
    stopPurge();
    await stopStatistics();
  };
}
