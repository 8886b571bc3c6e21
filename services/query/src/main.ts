import { closeServer, requireSetting, runService } from '@nrelay/runtime';
import { createQueryHttpServer, isLoopbackHost } from '@nrelay/seams/query';
import { createEventStore, openServiceDatabase } from '@nrelay/store';
import { serveMetrics } from '@nrelay/telemetry';
import { composeQueryEngine } from './compose.js';

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
      const engine = composeQueryEngine(config, createEventStore(database.db));
      const server = createQueryHttpServer({
        engine,
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
        describe: { url: `http://${config.HOST}:${config.QUERY_PORT}` },
        async stop() {
          probe.stop();
          const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
          await closeServer(server);
          clearTimeout(grace);
          await database.close();
        },
      };
    },
  },
  process.env,
);
