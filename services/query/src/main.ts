import { closeServer, requireSetting, runService } from '@nrelay/runtime';
import { createQueryHttpServer, isLoopbackHost } from '@nrelay/seams/query';
import {
  createDatabase,
  createEventStore,
  openServiceDatabase,
  readReplayPosition,
  readWalPosition,
  type StoreDatabase,
} from '@nrelay/store';
import { serveMetrics } from '@nrelay/telemetry';
import { composeQueryEngine } from './compose.js';
import { createReplicaReads } from './replica-reads.js';

// The query service: filters in, NDJSON out. The only file of this service that reads the environment.
await runService(
  {
    name: 'query',
    entryUrl: import.meta.url,
    async start(config, logger) {
      const databaseUrl = requireSetting(
        config.DATABASE_URL,
        'DATABASE_URL',
        'the query service reads a shared Postgres',
      );
      // Off loopback anyone reaching the port could read every DM: a secret is required.
      if (!isLoopbackHost(config.HOST)) {
        requireSetting(
          config.QUERY_SECRET,
          'QUERY_SECRET',
          `the query service on HOST=${config.HOST} serves any viewer's privileged events to whoever reaches it; give the gateways and the query service the same secret`,
        );
      }
      const { database, probe } = await openServiceDatabase({
        databaseUrl,
        poolSize: config.DATABASE_POOL_SIZE,
        logger,
        statementTimeoutMs: config.QUERY_STATEMENT_TIMEOUT_MS,
      });
      const primary = composeQueryEngine(config, createEventStore(database.db));
      // READ_DATABASE_URL: reads go to the replicas that have replayed what their client saw OK'd (ADR 0024).
      const replicaDatabases: StoreDatabase[] = await Promise.all(
        config.READ_DATABASE_URL.map((url, i) =>
          createDatabase({
            databaseUrl: url,
            poolSize: config.DATABASE_POOL_SIZE,
            statementTimeoutMs: config.QUERY_STATEMENT_TIMEOUT_MS,
            onPoolError: (err) => logger.warn({ err, replica: i }, 'read replica connection failed'),
          }),
        ),
      );
      const replicas =
        replicaDatabases.length === 0
          ? undefined
          : createReplicaReads({
              primary,
              replicas: replicaDatabases.map((replica) => ({
                engine: composeQueryEngine(config, createEventStore(replica.db)),
                readReplay: () => readReplayPosition(replica.db),
              })),
              waitMs: config.READ_REPLICA_WAIT_MS,
              primaryPosition: () => readWalPosition(database.db),
              logger,
            });
      const server = createQueryHttpServer({
        engine: replicas?.client ?? primary,
        ...(replicas ? { primaryLsn: replicas.primaryLsn } : {}),
        logger,
        maxBodyBytes: 1 << 20,
        ...(config.QUERY_SECRET ? { secret: config.QUERY_SECRET } : {}),
        ready: probe.isReady,
        routes: [serveMetrics],
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.QUERY_PORT, config.HOST, () => resolve());
      });
      return {
        describe: {
          url: `http://${config.HOST}:${config.QUERY_PORT}`,
          ...(replicaDatabases.length > 0 ? { readReplicas: replicaDatabases.length } : {}),
        },
        async stop() {
          probe.stop();
          const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
          await closeServer(server);
          clearTimeout(grace);
          await replicas?.close();
          await Promise.all(replicaDatabases.map((replica) => replica.close()));
          await database.close();
        },
      };
    },
  },
  process.env,
);
