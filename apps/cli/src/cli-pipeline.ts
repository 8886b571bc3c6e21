import {
  announceStoredEvents,
  createMemoryAccessChangeBus,
  type RateLimiterFactory,
  startManagement,
} from '@nrelay/access';
import { type Config, searchKindsOf } from '@nrelay/config';
import { composeIngestPipeline, type IngestPipeline } from '@nrelay/ingest';
import type { SignatureVerifier } from '@nrelay/protocol';
import { redisTargetOf } from '@nrelay/redis';
import { loadPlugins } from '@nrelay/runtime';
import { createMemoryFanoutBus, createRedisFanoutBus, type FanoutBus } from '@nrelay/seams/fanout';
import { bulkSaveEvents, createManagementStore } from '@nrelay/store';
import type { Logger } from 'pino';
import { CliError, openRelayStore, type RelayStore } from './relay-store.js';

/** The relay's ingest pipeline over its configured store, as the CLI's writes go through it. */
export interface CliPipeline {
  pipeline: IngestPipeline;
  relay: RelayStore;
  /** The verifier the pipeline chose (native when built). */
  verifier: string;
  /**
   * Tells a cluster's gateways (REDIS_URL) that stored events were written, so their hot windows
   * re-warm and follow lists reload; nothing to tell without Redis. Then closes everything.
   */
  close(wrote: boolean): Promise<void>;
}

/** How the CLI's pipeline differs from the relay's. */
export interface CliPipelineOptions {
  /** Publish stored events on the cluster's fanout bus. */
  publish: boolean;
  /** Replaces the relay's verifier (signatures checked on worker threads, or `--no-verify`). */
  verifier?: SignatureVerifier;
  /** Most events per store transaction (default the relay's, 256; `BULK_BATCH` with `bulk`). */
  batch?: number;
  /**
   * Writes runs of regular events with the store's bulk path (`bulkSaveEvents`: same outcomes,
   * fewer round trips, larger transactions); the other kinds as the relay writes them.
   */
  bulk?: boolean;
  /** Store transactions in flight (Postgres only); default 1 with `bulk`, else INGEST_WRITERS. */
  writers?: number;
}

/** Events per store transaction of a bulk write when `--batch` is not given. */
const BULK_BATCH = 2000;

/** Operator writes are not a client's: the per-pubkey rate limits do not apply to them. */
const UNLIMITED: RateLimiterFactory = () => ({ take: () => true });

/**
 * Composes the ingest pipeline exactly as the relay does (verify → policy with the relay's
 * settings, bans and kind rules → store → publish) over the configured store. With `publish`,
 * stored events go out on the cluster's fanout bus (live subscribers and hot windows get them);
 * without, the bus is a local one no one listens to (a silent write).
 */
export async function openCliPipeline(
  config: Config,
  logger: Logger,
  opts: CliPipelineOptions,
): Promise<CliPipeline> {
  if (opts.publish && !config.REDIS_URL) {
    throw new CliError(
      '--publish needs REDIS_URL: live subscribers are reached through a cluster’s fanout bus',
    );
  }
  // Bulk: one writer unless asked, so transactions commit in file order and every outcome is
  // the one the file's order gives (concurrent batches can answer an older replaceable version
  // first). PGlite has one connection.
  const wanted = opts.writers ?? (opts.bulk ? 1 : config.INGEST_WRITERS);
  const writers = config.DATABASE_URL ? Math.max(1, Math.min(wanted, config.DATABASE_POOL_SIZE - 1)) : 1;
  const plugins = await loadPlugins(config.PLUGINS, { config, logger });
  const batch = opts.batch ?? (opts.bulk ? BULK_BATCH : undefined);
  const relay = await openRelayStore(config, writers + 1, batch);
  const accessChanges = createMemoryAccessChangeBus((err) =>
    logger.error({ err }, 'access-change handler failed'),
  );
  let fanout: FanoutBus & { ready?(): Promise<void> };
  try {
    fanout =
      opts.publish && config.REDIS_URL
        ? createRedisFanoutBus({
            target: redisTargetOf(config.REDIS_URL, config.REDIS_CLUSTER_NODES),
            channel: `${config.REDIS_PREFIX}:fanout`,
            partitions: config.FANOUT_PARTITIONS,
            publishRetryMs: config.FANOUT_PUBLISH_RETRY_MS,
            logger,
          })
        : createMemoryFanoutBus();
    await fanout.ready?.();
  } catch (err) {
    await relay.close();
    throw err;
  }
  const management = await startManagement(config, {
    backend: createManagementStore(relay.database.db),
    changes: accessChanges,
    logger: logger.child({ component: 'management' }),
  });
  const save = {
    searchKinds: searchKindsOf(config),
    ...(batch === undefined ? {} : { transactionSize: batch }),
  };
  const { pipeline, verifier } = composeIngestPipeline(config, {
    // The pipeline's store stage is the seam: verify and policy stay the relay's.
    store: opts.bulk ? { save: (events) => bulkSaveEvents(relay.database.db, events, save) } : relay.store,
    fanout,
    management,
    rateLimiter: UNLIMITED,
    plugins,
    logger,
    writers,
    ...(batch === undefined ? {} : { maxBatch: batch }),
    ...(opts.verifier === undefined ? {} : { verifier: opts.verifier }),
  });
  return {
    pipeline,
    relay,
    verifier,
    async close(wrote) {
      try {
        await pipeline.close();
        if (wrote && config.REDIS_URL) {
          await announceStoredEvents(
            {
              target: redisTargetOf(config.REDIS_URL, config.REDIS_CLUSTER_NODES),
              prefix: config.REDIS_PREFIX,
            },
            logger,
          );
        }
      } finally {
        management.close();
        await fanout.close();
        await relay.close();
      }
    },
  };
}
