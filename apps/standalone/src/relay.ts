import { randomUUID } from 'node:crypto';
import { type Config, SOFTWARE_URL, SUPPORTED_NIPS } from '@nrelay/config';
import { createMemoryFanoutBus } from '@nrelay/contracts';
import { createGateway, type Gateway } from '@nrelay/gateway';
import { createIngestPipeline, createLocalIngestClient } from '@nrelay/ingest';
import { createQueryEngine } from '@nrelay/query';
import { createDatabase, createEventStore, migrateToLatest, scheduleExpirationPurge } from '@nrelay/store';
import type { Logger } from 'pino';

/** A running standalone relay. */
export interface StandaloneRelay {
  gateway: Gateway;
  url: string;
  /** Stops accepting, lets in-flight work finish within the grace period, closes the database. */
  stop(): Promise<void>;
}

/**
 * Composes gateway, ingest and query in one process with the in-process seams: PGlite (or
 * DATABASE_URL), an in-memory fanout bus and direct calls in place of the queue and HTTP.
 */
export async function startStandalone(
  config: Config,
  logger: Logger,
  version: string,
): Promise<StandaloneRelay> {
  const database = await createDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  await migrateToLatest(database.db, (message) => logger.info(message));
  const store = createEventStore(database.db);
  const fanout = createMemoryFanoutBus((err) => logger.error({ err }, 'fanout handler failed'));
  const pipeline = createIngestPipeline({
    store,
    fanout,
    logger: logger.child({ component: 'ingest' }),
    policy: {
      createdAtLowerLimit: config.CREATED_AT_LOWER_LIMIT,
      createdAtUpperLimit: config.CREATED_AT_UPPER_LIMIT,
      minPowDifficulty: config.MIN_POW_DIFFICULTY,
    },
    writers: config.DATABASE_URL ? 2 : 1,
  });
  const query = createQueryEngine({
    store,
    limits: {
      defaultLimit: config.DEFAULT_LIMIT,
      maxLimit: config.MAX_LIMIT,
      pageSize: config.QUERY_PAGE_SIZE,
    },
  });
  const gateway = createGateway(config, {
    ingest: createLocalIngestClient(pipeline),
    query,
    fanout,
    logger: logger.child({ component: 'gateway' }),
    gatewayId: `standalone-${randomUUID().slice(0, 8)}`,
    supportedNips: [...SUPPORTED_NIPS],
    software: SOFTWARE_URL,
    version,
  });
  const address = await gateway.listen();
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `ws://${host}:${address.port}`;

  const stopPurge = scheduleExpirationPurge(store, config.EXPIRATION_PURGE_SECONDS * 1000, logger);

  return {
    gateway,
    url,
    async stop() {
      stopPurge();
      await gateway.close(config.SHUTDOWN_GRACE_MS);
      await pipeline.close();
      await database.close();
    },
  };
}
