/**
 * The ingest pipeline as every composition root builds it (ADR 0014): the cluster worker's main
 * and the standalone relay call this with their own store, bus and limiters; the hook order,
 * the policy settings and the verifier choice are decided here, once.
 */
import { createIngestRateLimitHooks, type Management, type RateLimiterFactory } from '@nrelay/access';
import type { Config } from '@nrelay/config';
import type { SignatureVerifier } from '@nrelay/protocol';
import { concatHooks, type LoadedPlugin, pluginHooks } from '@nrelay/runtime';
import type { FanoutBus } from '@nrelay/seams/fanout';
import type { Logger } from 'pino';
import { createIngestPipeline } from './pipeline.js';
import type { EventWriter } from './stages/store.js';
import { chooseVerifier } from './stages/verifiers.js';
import { INGEST_HOOK_NAMES, type IngestHooks, type IngestPipeline } from './types.js';

/**
 * The already-built parts an ingest pipeline is composed from. What differs between standalone
 * and a cluster is chosen by the caller: the bus, the rate limiters (local or Redis) and the
 * number of store transactions in flight.
 */
export interface IngestParts {
  store: EventWriter;
  fanout: FanoutBus;
  /** NIP-86 management: its ingest hooks refuse bans and disallowed kinds here too. */
  management: Pick<Management, 'ingestHooks'>;
  /**
   * Builds the per-pubkey limiter: local in standalone, Redis-backed in a cluster (one budget
   * for every worker). Called while composing, so a lazy Redis connection opens here.
   */
  rateLimiter: RateLimiterFactory;
  plugins: readonly LoadedPlugin[];
  logger: Logger;
  /** Store transactions in flight at once. */
  writers: number;
  /** Most events per store transaction; default the pipeline's (256). */
  maxBatch?: number;
  /** Read replicas on (READ_DATABASE_URL): the primary's WAL position after each batch (ADR 0024). */
  walPosition?: () => Promise<string>;
  /**
   * Replaces the SIGNATURE_VERIFIER choice (the CLI's `import --no-verify` for its own backups);
   * the event id is still checked against its content.
   */
  verifier?: SignatureVerifier;
}

/** A composed pipeline and the name of the signature verifier it chose (for the start log). */
export interface ComposedIngest {
  pipeline: IngestPipeline;
  verifier: string;
}

/**
 * Builds the ingest pipeline with the policy of CREATED_AT_* and MIN_POW_DIFFICULTY and the
 * SIGNATURE_VERIFIER. Hooks run management first (bans hold even against a gateway that did not
 * check), then the per-pubkey rate limit, then plugins. A verifier that cannot be had or an
 * unknown plugin hook throws here.
 */
export function composeIngestPipeline(config: Config, parts: IngestParts): ComposedIngest {
  const verifier = parts.verifier ?? chooseVerifier(config.SIGNATURE_VERIFIER);
  const pipeline = createIngestPipeline({
    store: parts.store,
    fanout: parts.fanout,
    logger: parts.logger,
    policy: {
      createdAtLowerLimit: config.CREATED_AT_LOWER_LIMIT,
      createdAtUpperLimit: config.CREATED_AT_UPPER_LIMIT,
      minPowDifficulty: config.MIN_POW_DIFFICULTY,
    },
    writers: parts.writers,
    ...(parts.maxBatch === undefined ? {} : { maxBatch: parts.maxBatch }),
    ...(parts.walPosition === undefined ? {} : { walPosition: parts.walPosition }),
    verifier,
    hooks: concatHooks<IngestHooks>(
      parts.management.ingestHooks,
      createIngestRateLimitHooks(config, parts.rateLimiter),
      pluginHooks(parts.plugins, 'ingest', INGEST_HOOK_NAMES),
    ),
  });
  return { pipeline, verifier: verifier.name };
}
