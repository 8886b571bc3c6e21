import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  accessSettingsOf,
  createMemoryAccessChangeBus,
  createRateLimitHooks,
  privilegedKindsOf,
  startManagement,
} from '@nrelay/access';
import { type Config, SOFTWARE_URL, SUPPORTED_NIPS } from '@nrelay/config';
import {
  accessAuthChallenge,
  createAccessHooks,
  createObservedGateway,
  GATEWAY_HOOK_NAMES,
  type Gateway,
  type GatewayHooks,
} from '@nrelay/gateway';
import { chooseVerifier, createIngestPipeline, INGEST_HOOK_NAMES, type IngestHooks } from '@nrelay/ingest';
import { createQueryEngine } from '@nrelay/query';
import { assertPortFree, concatHooks, loadPlugins, pluginHooks } from '@nrelay/runtime';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import { createInProcessIngestClient } from '@nrelay/seams/ingest';
import {
  createDatabase,
  createEventStore,
  createManagementStore,
  migrateToLatest,
  scheduleExpirationPurge,
} from '@nrelay/store';
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
  // Every setting and the port are checked before anything is created or migrated: a mistake
  // is one line on stderr, not a stack trace after the migrations ran.
  accessSettingsOf(config);
  await assertPortFree(config.HOST, config.PORT);
  // Plugins load next: a broken one stops the start before anything is opened.
  const plugins = await loadPlugins(config.PLUGINS, { config, logger });
  // Built-in policies first, then plugins; in one process every rate limit is local.
  const rateLimits = createRateLimitHooks(config);
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
  });
  await migrateToLatest(database.db, (message) => logger.info(message));
  const store = createEventStore(database.db);
  // Access-control state (levels, bans, kinds, blocked IPs, follows) from Postgres, changed by
  // NIP-86 management; in one process its change announcements stay in memory.
  const management = await startManagement(config, {
    backend: createManagementStore(database.db),
    changes: createMemoryAccessChangeBus((err) => logger.error({ err }, 'access-change handler failed')),
    logger: logger.child({ component: 'management' }),
  });
  const accessState = management.state;
  const fanout = createMemoryFanoutBus((err) => logger.error({ err }, 'fanout handler failed'));
  const verifier = chooseVerifier(config.SIGNATURE_VERIFIER);
  logger.info({ verifier: verifier.name }, 'signature verifier');
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
    verifier,
    // Management rules first (bans hold even against a gateway that did not check), then limits, plugins.
    hooks: concatHooks<IngestHooks>(
      management.ingestHooks,
      rateLimits.ingest,
      pluginHooks(plugins, 'ingest', INGEST_HOOK_NAMES),
    ),
  });
  const query = createQueryEngine({
    store,
    // Privileged events are filtered in SQL for every query, COUNT and search (docs/access-control.md).
    privilegedKinds: [...privilegedKindsOf(config)],
    limits: {
      defaultLimit: config.DEFAULT_LIMIT,
      maxLimit: config.MAX_LIMIT,
      pageSize: config.QUERY_PAGE_SIZE,
      pageMaxBytes: config.QUERY_PAGE_MAX_BYTES,
      search: { maxSearchLength: config.MAX_SEARCH_LENGTH, maxSearchTerms: config.MAX_SEARCH_TERMS },
    },
  });
  const gateway = createObservedGateway(config, {
    ingest: createInProcessIngestClient(pipeline),
    query,
    fanout,
    logger: logger.child({ component: 'gateway' }),
    gatewayId: `standalone-${randomUUID().slice(0, 8)}`,
    supportedNips: management.supportedNips(SUPPORTED_NIPS),
    software: SOFTWARE_URL,
    version,
    httpRoutes: management.route ? [management.route] : [],
    relayInfo: () => accessState.relayInfo(),
    // Access policy first (a denied IP or a banned pubkey costs no rate-limit token), then limits, plugins.
    hooks: concatHooks<GatewayHooks>(
      createAccessHooks(config, accessState),
      rateLimits.gateway,
      pluginHooks(plugins, 'gateway', GATEWAY_HOOK_NAMES),
    ),
    authChallenge: accessAuthChallenge(config),
    // Stored queries at once, shared fairly between connections: as many as database connections.
    querySlots: config.DATABASE_POOL_SIZE,
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
      management.close();
      await pipeline.close();
      await database.close();
    },
  };
}
