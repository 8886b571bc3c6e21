import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createBalancedQueryClient,
  createBullmqIngestClient,
  createHttpQueryClient,
  createRedisFanoutBus,
} from '@nrelay/cluster';
import { SOFTWARE_URL, SUPPORTED_NIPS } from '@nrelay/config';
import { runService } from '@nrelay/runtime';
import { createGateway } from './gateway.js';

// A cluster gateway: WebSockets in, BullMQ / HTTP / Redis behind. The only file of this service that reads the environment.
await runService(
  {
    name: 'gateway',
    entryUrl: import.meta.url,
    async start(config, logger, version) {
      const gatewayId = config.GATEWAY_ID ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
      const log = logger.child({ gateway: gatewayId });
      const ingest = createBullmqIngestClient({
        redisUrl: config.REDIS_URL,
        queueName: config.INGEST_QUEUE,
        prefix: config.REDIS_PREFIX,
        gatewayId,
        logger: log,
        replyTimeoutMs: config.INGEST_REPLY_TIMEOUT_MS,
        jobAttempts: config.INGEST_ATTEMPTS,
      });
      const fanout = createRedisFanoutBus({
        redisUrl: config.REDIS_URL,
        channel: `${config.REDIS_PREFIX}:fanout`,
        logger: log,
      });
      const query = createBalancedQueryClient(
        config.QUERY_URL.map((baseUrl) =>
          createHttpQueryClient({
            baseUrl,
            logger: log,
            maxSockets: config.QUERY_MAX_SOCKETS,
            requestTimeoutMs: config.QUERY_TIMEOUT_MS,
          }),
        ),
      );
      // Subscribed before accepting connections, so no OK reply or live event is missed.
      await Promise.all([ingest.ready(), fanout.ready()]);
      const gateway = createGateway(config, {
        ingest,
        query,
        fanout,
        logger: log,
        gatewayId,
        supportedNips: [...SUPPORTED_NIPS],
        software: SOFTWARE_URL,
        version,
        dependenciesReady: () => ingest.isReady() && fanout.isReady(),
      });
      const address = await gateway.listen();
      return {
        describe: { url: `ws://${address.host}:${address.port}`, gatewayId },
        async stop() {
          await gateway.close(config.SHUTDOWN_GRACE_MS);
          await ingest.close();
          await fanout.close();
          await query.close();
        },
      };
    },
  },
  process.env,
);
