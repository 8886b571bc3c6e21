/**
 * The hot window as a gateway is composed with it (ADR 0018): the window sized by
 * HOT_WINDOW_BYTES with the query engine's limits and privileged kinds, its feed, the
 * decorated query client and its metrics.
 */
import { type AccessChangeBus, privilegedKindsOf } from '@nrelay/access';
import type { Config } from '@nrelay/config';
import type { FanoutBus } from '@nrelay/seams/fanout';
import type { QueryClient } from '@nrelay/seams/query';
import { fenceBuses } from '../fences.js';
import { HotWindowFeed, type HotWindowFeedLogger } from './feed.js';
import { exportHotWindowStats } from './metrics.js';
import { type HotWindowQueryStats, withHotWindow } from './query-client.js';
import { HotWindow } from './window.js';

/** What the hot window is built from: the gateway's seams, undecorated. */
export interface HotWindowParts {
  query: QueryClient;
  fanout: Pick<FanoutBus, 'subscribe' | 'watchContinuity' | 'fence'>;
  accessChanges: Pick<AccessChangeBus, 'subscribe' | 'fence'>;
  logger: HotWindowFeedLogger;
}

/** A gateway's hot window: `query` answers from it; `start` once the fanout is subscribed. */
export interface HotWindowReads {
  readonly window: HotWindow;
  readonly feed: HotWindowFeed;
  readonly query: QueryClient;
  readonly stats: HotWindowQueryStats;
  start(): void;
  close(): void;
}

/** Builds the hot window of a gateway; undefined when HOT_WINDOW_BYTES is 0. */
export function createHotWindowReads(config: Config, parts: HotWindowParts): HotWindowReads | undefined {
  const budgetBytes = config.HOT_WINDOW_BYTES;
  if (budgetBytes === 0) return undefined;
  const window = new HotWindow({
    budgetBytes,
    privilegedKinds: [...privilegedKindsOf(config)],
    defaultLimit: config.DEFAULT_LIMIT,
    maxLimit: config.MAX_LIMIT,
  });
  const feed = new HotWindowFeed({
    window,
    query: parts.query,
    fanout: parts.fanout,
    accessChanges: parts.accessChanges,
    budgetBytes,
    logger: parts.logger,
  });
  const stats: HotWindowQueryStats = { hits: 0, misses: 0 };
  const stopExport = exportHotWindowStats({ window, budgetBytes, feed: feed.stats, queries: stats });
  return {
    window,
    feed,
    stats,
    query: withHotWindow(parts.query, window, stats, { fence: () => fenceBuses(parts) }),
    start: () => feed.start(),
    close() {
      stopExport();
      feed.close();
    },
  };
}
