import {
  announceStoredEvents,
  createMemoryAccessChangeBus,
  type RateLimiterFactory,
  startManagement,
} from '@nrelay/access';
import type { Config } from '@nrelay/config';
import { composeIngestPipeline, type IngestPipeline } from '@nrelay/ingest';
import type { SignatureVerifier } from '@nrelay/protocol';
import { loadPlugins } from '@nrelay/runtime';
import { createMemoryFanoutBus, createRedisFanoutBus, type FanoutBus } from '@nrelay/seams/fanout';
import { createManagementStore } from '@nrelay/store';
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
  /** Most events per store transaction (default the relay's, 256). */
  batch?: number;
}

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
  const writers = config.DATABASE_URL
    ? Math.max(1, Math.min(config.INGEST_WRITERS, config.DATABASE_POOL_SIZE - 1))
    : 1;
  const plugins = await loadPlugins(config.PLUGINS, { config, logger });
  const relay = await openRelayStore(config, writers + 1, opts.batch);
  const accessChanges = createMemoryAccessChangeBus((err) =>
    logger.error({ err }, 'access-change handler failed'),
  );
  let fanout: FanoutBus & { ready?(): Promise<void> };
  try {
    fanout =
      opts.publish && config.REDIS_URL
        ? createRedisFanoutBus({
            redisUrl: config.REDIS_URL,
            channel: `${config.REDIS_PREFIX}:fanout`,
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
  const { pipeline, verifier } = composeIngestPipeline(config, {
    store: relay.store,
    fanout,
    management,
    rateLimiter: UNLIMITED,
    plugins,
    logger,
    writers,
    ...(opts.batch === undefined ? {} : { maxBatch: opts.batch }),
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
          await announceStoredEvents({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX }, logger);
        }
      } finally {
        management.close();
        await fanout.close();
        await relay.close();
      }
    },
  };
}
