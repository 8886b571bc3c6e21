import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  accessSettingsOf,
  createMemoryAccessChangeBus,
  localRateLimiters,
  startManagement,
} from '@nrelay/access';
import { type Config, searchKindsOf } from '@nrelay/config';
import { composeGateway, type Gateway } from '@nrelay/gateway';
import { composeIngestPipeline, startStoreUpkeep } from '@nrelay/ingest';
import { composeQueryEngine } from '@nrelay/query';
import { assertPortFree, loadPlugins } from '@nrelay/runtime';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import { createInProcessIngestClient } from '@nrelay/seams/ingest';
import { createDatabase, createEventStore, createManagementStore, migrateToLatest } from '@nrelay/store';
import type { Logger } from 'pino';

/** A running standalone relay. */
export interface StandaloneRelay {
  gateway: Gateway;
  url: string;
  /** Stops accepting, lets in-flight work finish within the grace period, closes the database. */
  stop(): Promise<void>;
}

/**
 * Composes gateway, ingest and query in one process with the same compose functions as the
 * cluster's mains (ADR 0014) and the in-process seams: PGlite (or DATABASE_URL), an in-memory
 * fanout bus and direct calls in place of the queue and HTTP.
 */
export async function startStandalone(
  config: Config,
  logger: Logger,
  version: string,
): Promise<StandaloneRelay> {
  // Every setting and the port are checked before anything is created or migrated: a mistake
  // is one line on stderr, not a stack trace after the migrations ran.
  accessSettingsOf(config);
  const searchKinds = searchKindsOf(config);
  await assertPortFree(config.HOST, config.PORT);
  // Plugins load next: a broken one stops the start before anything is opened.
  const plugins = await loadPlugins(config.PLUGINS, { config, logger });
  // In one process every rate limit is local.
  const rateLimiter = localRateLimiters();
  if (!config.DATABASE_URL && !existsSync(join(config.DATA_DIR, 'PG_VERSION'))) {
    logger.info(
      { dataDir: config.DATA_DIR },
      'first start: creating the embedded database (PGlite); this takes 10-20 s once',
    );
  }
  const database = await createDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
    pgliteThread: config.PGLITE_THREAD,
  });
  await migrateToLatest(database.db, (message) => logger.info(message));
  const store = createEventStore(database.db, { save: { searchKinds } });
  // Access-control state (levels, bans, kinds, blocked IPs, follows) from Postgres, changed by
  // NIP-86 management; in one process its change announcements stay in memory.
  const accessChanges = createMemoryAccessChangeBus((err) =>
    logger.error({ err }, 'access-change handler failed'),
  );
  const management = await startManagement(config, {
    backend: createManagementStore(database.db),
    changes: accessChanges,
    logger: logger.child({ component: 'management' }),
  });
  const fanout = createMemoryFanoutBus((err) => logger.error({ err }, 'fanout handler failed'));
  const { pipeline, verifier } = composeIngestPipeline(config, {
    store,
    fanout,
    management,
    rateLimiter,
    plugins,
    logger: logger.child({ component: 'ingest' }),
    writers: config.DATABASE_URL ? 2 : 1,
  });
  logger.info({ verifier }, 'signature verifier');
  const gateway = composeGateway(config, {
    ingest: createInProcessIngestClient(pipeline),
    // The engine itself is the QueryClient: a direct call.
    query: composeQueryEngine(config, store),
    fanout,
    management,
    accessChanges,
    rateLimiter,
    plugins,
    logger: logger.child({ component: 'gateway' }),
    gatewayId: `standalone-${randomUUID().slice(0, 8)}`,
    version,
    // Stored queries at once, shared fairly between connections: as many as database connections.
    querySlots: config.DATABASE_POOL_SIZE,
  });
  const address = await gateway.listen();
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `ws://${host}:${address.port}`;

  // NIP-40 purges and the planner statistics PGlite's missing autovacuum would keep.
  const stopUpkeep = await startStoreUpkeep(config, { database, store, logger });

  return {
    gateway,
    url,
    async stop() {
      await gateway.close(config.SHUTDOWN_GRACE_MS);
      management.close();
      await pipeline.close();
      await stopUpkeep();
      await database.close();
    },
  };
}
