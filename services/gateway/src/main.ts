import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  aclChannel,
  createRedisAccessChangeBus,
  createRedisRateLimiters,
  startManagement,
} from '@nrelay/access';
import { redisTargetOf } from '@nrelay/redis';
import { loadPlugins, requireSetting, runService } from '@nrelay/runtime';
import { createRedisFanoutBus } from '@nrelay/seams/fanout';
import { createBullmqIngestClient } from '@nrelay/seams/ingest';
import { createBalancedQueryClient, createHttpQueryClient, isLoopbackHost } from '@nrelay/seams/query';
import { createDatabase, createManagementStore } from '@nrelay/store';
import { composeGateway } from './compose.js';
import { createReadYourWrites } from './read-your-writes.js';

// A cluster gateway: WebSockets in, BullMQ / HTTP / Redis behind. The only file of this service that reads the environment.

/** Postgres connections of a gateway: it only loads the access state and runs NIP-86 changes. */
const GATEWAY_DATABASE_POOL = 2;

await runService(
  {
    name: 'gateway',
    entryUrl: import.meta.url,
    async start(config, logger, version) {
      // A query service off loopback refuses calls without the secret (and must, see services/query).
      const remoteQuery = config.QUERY_URL.find((url) => !isLoopbackHost(new URL(url).hostname));
      if (remoteQuery !== undefined) {
        requireSetting(
          config.QUERY_SECRET,
          'QUERY_SECRET',
          `the query service at ${remoteQuery} is not on loopback and requires the secret it shares with the gateways`,
        );
      }
      // One Redis server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES), for every Redis user.
      const redis = redisTargetOf(config.REDIS_URL, config.REDIS_CLUSTER_NODES);
      const gatewayId = config.GATEWAY_ID ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
      const log = logger.child({ gateway: gatewayId });
      const plugins = await loadPlugins(config.PLUGINS, { config, logger: log });
      // Per-IP buckets are shared by every gateway through Redis (fail open if it is down).
      const rateLimiters = createRedisRateLimiters({
        target: redis,
        prefix: config.REDIS_PREFIX,
        logger: log,
      });
      // Access-control state (levels, bans, kinds, blocked IPs, follows) from Postgres, changed by
      // NIP-86 management on any gateway and announced to all of them over Redis.
      const databaseUrl = requireSetting(
        config.DATABASE_URL,
        'DATABASE_URL',
        'the gateway reads the access-control state (bans, allowlist, NIP-86 management) from Postgres',
      );
      const database = await createDatabase({
        databaseUrl,
        poolSize: Math.min(GATEWAY_DATABASE_POOL, config.DATABASE_POOL_SIZE),
        onPoolError: (err) => log.warn({ err }, 'idle Postgres connection failed'),
      });
      const accessChanges = createRedisAccessChangeBus({
        target: redis,
        channel: aclChannel(config.REDIS_PREFIX),
        logger: log,
      });
      // Subscribed before the state loads, so no change committed after the load is missed.
      await accessChanges.ready();
      const management = await startManagement(config, {
        backend: createManagementStore(database.db),
        changes: accessChanges,
        logger: log.child({ component: 'management' }),
      });
      const ingest = createBullmqIngestClient({
        target: redis,
        queueName: config.INGEST_QUEUE,
        prefix: config.REDIS_PREFIX,
        gatewayId,
        logger: log,
        replyTimeoutMs: config.INGEST_REPLY_TIMEOUT_MS,
        jobBatch: config.INGEST_JOB_BATCH,
        jobLingerMs: config.INGEST_JOB_LINGER_MS,
        jobAttempts: config.INGEST_ATTEMPTS,
        replyDeadlineMs: config.INGEST_REPLY_DEADLINE_MS,
        workerHeartbeatMs: config.INGEST_HEARTBEAT_MS,
      });
      const fanout = createRedisFanoutBus({
        target: redis,
        channel: `${config.REDIS_PREFIX}:fanout`,
        partitions: config.FANOUT_PARTITIONS,
        logger: log,
      });
      // Read replicas on: each query carries its read-your-writes bound (ADR 0024).
      const readYourWrites =
        config.READ_DATABASE_URL.length > 0 ? createReadYourWrites(fanout, accessChanges) : undefined;
      const balanced = createBalancedQueryClient(
        config.QUERY_URL.map((baseUrl) =>
          createHttpQueryClient({
            baseUrl,
            logger: log,
            maxSockets: config.QUERY_MAX_SOCKETS,
            requestTimeoutMs: config.QUERY_TIMEOUT_MS,
            ...(config.QUERY_SECRET ? { secret: config.QUERY_SECRET } : {}),
            ...(readYourWrites ? { onPrimaryLsn: readYourWrites.onPrimaryLsn } : {}),
          }),
        ),
      );
      const query = readYourWrites ? readYourWrites.wrap(balanced) : balanced;
      // Composed before the wait: invalid access settings or plugin hooks fail the start at once,
      // and the rate limiters' Redis connection is opened, so its readiness below means something.
      const gateway = composeGateway(config, {
        ingest,
        query,
        fanout,
        management,
        accessChanges,
        rateLimiter: rateLimiters.limiter,
        plugins,
        logger: log,
        gatewayId,
        version,
        // One slot per socket to the query services: queries wait fairly in the gateway, not in
        // the HTTP agent's queue.
        querySlots: config.QUERY_MAX_SOCKETS * config.QUERY_URL.length,
        // Reads need neither Redis nor ingest: /readyz stays up through short outages (EVENTs
        // are then refused at once by the ingest client), /readyz/write reports them; a live
        // feed lost past FANOUT_LOSS_GRACE_MS takes /readyz down too (watchFanout).
        writesReady: () => ingest.isReady(),
        // A silently cut link to Redis: not ready and clients closed once it outlasts the grace.
        watchFanout: true,
      });
      // Subscribed before accepting connections, so no OK reply or live event is missed.
      await Promise.all([ingest.ready(), fanout.ready(), rateLimiters.ready()]);
      const address = await gateway.listen();
      return {
        describe: { url: `ws://${address.host}:${address.port}`, gatewayId },
        async stop() {
          await gateway.close(config.SHUTDOWN_GRACE_MS);
          management.close();
          await accessChanges.close();
          await database.close();
          await ingest.close();
          readYourWrites?.close();
          await fanout.close();
          await query.close();
          await rateLimiters.close();
        },
      };
    },
  },
  process.env,
);
