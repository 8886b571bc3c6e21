import { createRedisFanoutBus } from '@nrelay/cluster';
import { closeServer, requireSetting, runService, startHealthServer } from '@nrelay/runtime';
import { createEventStore, openServiceDatabase, scheduleExpirationPurge } from '@nrelay/store';
import { createIngestPipeline } from './pipeline.js';
import { startIngestWorker } from './worker.js';

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
      const { database, probe } = await openServiceDatabase({ databaseUrl, poolSize: config.DATABASE_POOL_SIZE, logger });
      const store = createEventStore(database.db);
      const fanout = createRedisFanoutBus({
        redisUrl: config.REDIS_URL,
        channel: `${config.REDIS_PREFIX}:fanout`,
        logger,
      });
      await fanout.ready();
      const pipeline = createIngestPipeline({
        store,
        fanout,
        logger,
        policy: {
          createdAtLowerLimit: config.CREATED_AT_LOWER_LIMIT,
          createdAtUpperLimit: config.CREATED_AT_UPPER_LIMIT,
          minPowDifficulty: config.MIN_POW_DIFFICULTY,
        },
        writers: Math.max(1, Math.min(4, config.DATABASE_POOL_SIZE - 1)),
      });
      const worker = startIngestWorker({
        redisUrl: config.REDIS_URL,
        queueName: config.INGEST_QUEUE,
        prefix: config.REDIS_PREFIX,
        concurrency: config.INGEST_CONCURRENCY,
        pipeline,
        logger,
      });
      const health = await startHealthServer({
        host: config.HOST,
        port: config.INGEST_HEALTH_PORT,
        isReady: () => probe.isReady() && fanout.isReady() && worker.isReady(),
      });
      // NIP-40: every ingest worker purges; the DELETE is idempotent, so more than one is harmless.
      const stopPurge = scheduleExpirationPurge(store, config.EXPIRATION_PURGE_SECONDS * 1000, logger);
      return {
        describe: {
          queue: config.INGEST_QUEUE,
          concurrency: config.INGEST_CONCURRENCY,
          health: `http://${config.HOST}:${config.INGEST_HEALTH_PORT}`,
        },
        async stop() {
          stopPurge();
          probe.stop();
          await worker.close();
          await pipeline.close();
          await fanout.close();
          await database.close();
          await closeServer(health);
        },
      };
    },
  },
  process.env,
);
