import type { Config } from '@nrelay/config';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from '@nrelay/protocol';
import type { IngestClient } from '@nrelay/seams/ingest';
import type { QueryClient } from '@nrelay/seams/query';
import type { Connection } from './connection.js';
import { type GatewayHooks, resolveHooks } from './hooks.js';
import { QuerySlots } from './query-slots.js';
import { SharedCounts } from './shared-counts.js';
import { createCounters, type GatewayCounters } from './stats.js';
import { SubscriptionIndex } from './subscription-index.js';

/** When the NIP-42 challenge is sent: right after connect, or only when a hook asks for auth. */
export type AuthChallengeTiming = 'on-connect' | 'on-demand';

/**
 * Everything the verb handlers share, built once per gateway. Handlers take it as their first
 * argument instead of closing over it, so no closure is created per message.
 */
export interface GatewayContext {
  readonly config: Config;
  readonly parseLimits: ParseLimits;
  readonly ingest: IngestClient;
  readonly query: QueryClient;
  readonly gatewayId: string;
  readonly hooks: GatewayHooks;
  readonly index: SubscriptionIndex<Connection>;
  readonly counters: GatewayCounters;
  readonly authChallenge: AuthChallengeTiming;
  /** In-flight ingest submissions across all connections; shutdown waits for them. */
  readonly pending: PendingSubmits;
  /** The fair scheduler every stored query (REQ stored phase, COUNT) takes a slot from. */
  readonly slots: QuerySlots;
  /** Identical COUNTs share one count and its short-lived answer. */
  readonly counts: SharedCounts;
}

/**
 * Counts in-flight EVENT submissions and lets shutdown wait until none are left. Once draining
 * has begun no new EVENT is submitted (it is answered `error: shutting down`), so every
 * submitted one can get its OK before the sockets close.
 */
export class PendingSubmits {
  private count = 0;
  private waiters: Array<() => void> = [];
  private drainingSince: number | undefined;

  /** True from the start of a graceful shutdown. */
  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Marks the start of a graceful shutdown; idempotent. */
  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }

  /** Submissions not answered yet. */
  get size(): number {
    return this.count;
  }

  /** Marks one submission started. */
  start(): void {
    this.count++;
  }

  /** Marks one submission answered; wakes `idle()` waiters when none are left. */
  finish(): void {
    this.count--;
    if (this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when no submission is in flight. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Parser limits taken from the settings the relay advertises. */
export function parseLimitsOf(config: Config): ParseLimits {
  return {
    ...DEFAULT_PARSE_LIMITS,
    maxFilters: config.MAX_FILTERS,
    maxSubIdLength: config.MAX_SUBID_LENGTH,
    maxTags: config.MAX_EVENT_TAGS,
    maxContentLength: config.MAX_CONTENT_LENGTH,
    maxSearchLength: config.MAX_SEARCH_LENGTH,
    maxSearchTerms: config.MAX_SEARCH_TERMS,
  };
}

/** The seams and options a context is built from. */
export interface ContextDeps {
  ingest: IngestClient;
  query: QueryClient;
  gatewayId: string;
  hooks?: Partial<GatewayHooks> | undefined;
  authChallenge?: AuthChallengeTiming | undefined;
  /**
   * Stored queries the gateway runs at once: in a cluster the sockets to the query services,
   * in one process the database pool. Default {@link DEFAULT_QUERY_SLOTS}.
   */
  querySlots?: number | undefined;
}

/** Query slots of a gateway whose composer says nothing (tests, embedding). */
const DEFAULT_QUERY_SLOTS = 16;

/** Builds the shared state of one gateway: limits, hooks, an empty index, zeroed counters. */
export function createGatewayContext(config: Config, deps: ContextDeps): GatewayContext {
  return {
    config,
    parseLimits: parseLimitsOf(config),
    ingest: deps.ingest,
    query: deps.query,
    gatewayId: deps.gatewayId,
    hooks: resolveHooks(deps.hooks),
    index: new SubscriptionIndex<Connection>(),
    counters: createCounters(),
    authChallenge: deps.authChallenge ?? 'on-connect',
    pending: new PendingSubmits(),
    slots: new QuerySlots({
      capacity: deps.querySlots ?? DEFAULT_QUERY_SLOTS,
      perOwner: config.MAX_QUERIES_PER_CONNECTION,
      waitTimeoutMs: config.QUERY_SLOT_TIMEOUT_MS,
    }),
    counts: new SharedCounts(config.COUNT_CACHE_MS),
  };
}
