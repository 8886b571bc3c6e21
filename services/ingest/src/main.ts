import {
  aclChannel,
  createRedisAccessChangeBus,
  createRedisRateLimiters,
  startManagement,
} from '@nrelay/access';
import { searchKindsOf } from '@nrelay/config';
import { redisTargetOf } from '@nrelay/redis';
import { closeServer, loadPlugins, requireSetting, runService, startHealthServer } from '@nrelay/runtime';
import { createRedisFanoutBus } from '@nrelay/seams/fanout';
import { startIngestWorker } from '@nrelay/seams/ingest';
import { createEventStore, createManagementStore, openServiceDatabase, readWalPosition } from '@nrelay/store';
import { serveMetrics } from '@nrelay/telemetry';
import { composeIngestPipeline } from './compose.js';
import { observeIngestQueue } from './queue-metrics.js';
import { startStoreUpkeep } from './upkeep.js';

// The ingest worker: BullMQ jobs in, stored events and OKs out. The only file of this service that reads the environment.
await runService(
  {
    name: 'ingest',
    entryUrl: import.meta.url,
    async start(config, logger) {
      const databaseUrl = requireSetting(
        config.DATABASE_URL,
        'DATABASE_URL',
        'the ingest worker writes to a shared Postgres',
      );
      // One Redis server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES), for every Redis user.
      const redis = redisTargetOf(config.REDIS_URL, config.REDIS_CLUSTER_NODES);
      // Ingest hooks run here, in the worker: PLUGINS must be set for this process too.
      const plugins = await loadPlugins(config.PLUGINS, { config, logger });
      // Per-pubkey buckets are shared by every worker through Redis (fail open if it is down).
      const rateLimiters = createRedisRateLimiters({
        target: redis,
        prefix: config.REDIS_PREFIX,
        logger,
      });
      const searchKinds = searchKindsOf(config);
      const { database, probe } = await openServiceDatabase({
        databaseUrl,
        poolSize: config.DATABASE_POOL_SIZE,
        logger,
      });
      const store = createEventStore(database.db, { save: { searchKinds } });
      // The access-control state, so bans and kind rules hold here whatever the gateway checked;
      // a stored kind 3 of an admin is announced (follows mode) so every gateway reloads.
      const accessChanges = createRedisAccessChangeBus({
        target: redis,
        channel: aclChannel(config.REDIS_PREFIX),
        logger,
      });
      await accessChanges.ready();
      const management = await startManagement(config, {
        backend: createManagementStore(database.db),
        changes: accessChanges,
        logger: logger.child({ component: 'management' }),
      });
      const fanout = createRedisFanoutBus({
        target: redis,
        channel: `${config.REDIS_PREFIX}:fanout`,
        partitions: config.FANOUT_PARTITIONS,
        publishRetryMs: config.FANOUT_PUBLISH_RETRY_MS,
        logger,
      });
      // Composed before the wait, so the rate limiters' Redis connection is open when it is awaited.
      const { pipeline, verifier } = composeIngestPipeline(config, {
        store,
        fanout,
        management,
        rateLimiter: rateLimiters.limiter,
        plugins,
        logger,
        writers: Math.max(1, Math.min(config.INGEST_WRITERS, config.DATABASE_POOL_SIZE - 1)),
        // Read replicas on: each message carries its commit's WAL position (ADR 0024).
        ...(config.READ_DATABASE_URL.length > 0 ? { walPosition: () => readWalPosition(database.db) } : {}),
      });
      await Promise.all([fanout.ready(), rateLimiters.ready()]);
      const worker = startIngestWorker({
        target: redis,
        queueName: config.INGEST_QUEUE,
        prefix: config.REDIS_PREFIX,
        concurrency: config.INGEST_CONCURRENCY,
        pipeline,
        logger,
        heartbeatMs: config.INGEST_HEARTBEAT_MS,
        lockMs: config.INGEST_LOCK_MS,
        // Gateways refuse EVENTs at once while no worker can reach the database.
        canStore: probe.isReady,
      });
      // Queue depth and each job's wait, on /metrics (the worker itself lives in @nrelay/seams).
      const queueMetrics = observeIngestQueue(worker.worker, {
        target: redis,
        queueName: config.INGEST_QUEUE,
        prefix: config.REDIS_PREFIX,
        logger,
      });
      const health = await startHealthServer({
        host: config.HOST,
        port: config.INGEST_HEALTH_PORT,
        isReady: () => probe.isReady() && fanout.isReady() && worker.isReady(),
        routes: [serveMetrics],
      });
      // NIP-40 purges and planner statistics (every worker takes part; one pass at a time).
      const stopUpkeep = await startStoreUpkeep(config, { database, store, logger });
      return {
        describe: {
          queue: config.INGEST_QUEUE,
          concurrency: config.INGEST_CONCURRENCY,
          verifier,
          health: `http://${config.HOST}:${config.INGEST_HEALTH_PORT}`,
        },
        async stop() {
          probe.stop();
          await worker.close();
          await queueMetrics.close();
          await pipeline.close();
          await stopUpkeep();
          management.close();
          await accessChanges.close();
          await fanout.close();
          await rateLimiters.close();
          await database.close();
          await closeServer(health);
        },
      };
    },
  },
  process.env,
);
