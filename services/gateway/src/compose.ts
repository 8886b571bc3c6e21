/**
 * The gateway as every composition root builds it (ADR 0014): the cluster gateway's main and
 * the standalone relay call this with their own seams; what is the same in both modes (hook
 * order, NIP-11 fields, NIP-86 route, auth challenge) is decided here, once.
 */
import type { AccessChangeBus, AccessState, Management, RateLimiterFactory } from '@nrelay/access';
import { type Config, SOFTWARE_URL, SUPPORTED_NIPS } from '@nrelay/config';
import { concatHooks, type LoadedPlugin, pluginHooks } from '@nrelay/runtime';
import type { FanoutBus } from '@nrelay/seams/fanout';
import type { IngestClient } from '@nrelay/seams/ingest';
import type { QueryClient } from '@nrelay/seams/query';
import type { Logger } from 'pino';
import { accessAuthChallenge, createAccessHooks } from './access/hooks.js';
import { watchGatewayFeed } from './fanout-watchdog.js';
import type { Gateway } from './gateway.js';
import { GATEWAY_HOOK_NAMES, type GatewayHooks } from './hooks.js';
import { createHotWindowReads } from './hot-window/reads.js';
import { createObservedGateway } from './observed.js';
import { gatewayRateLimitHooks } from './rate-limits.js';

/** What of NIP-86 management the gateway uses (a {@link Management} is one). */
export interface GatewayManagement {
  /** The live access state: read by the access hooks and for NIP-11 overrides. */
  readonly state: AccessState;
  readonly route: Management['route'];
  supportedNips(base: readonly number[]): number[];
}

/**
 * The already-built parts a gateway is composed from. What differs between standalone and a
 * cluster is chosen by the caller: the seams, the rate limiters (local or Redis), the query
 * slots and the write readiness.
 */
export interface GatewayParts {
  ingest: IngestClient;
  query: QueryClient;
  fanout: FanoutBus;
  management: GatewayManagement;
  /** The access-change announcements: the hot window re-warms after an `acl` change. */
  accessChanges: Pick<AccessChangeBus, 'subscribe' | 'fence'>;
  /**
   * Builds the per-IP limiters: local in standalone, Redis-backed in a cluster (one budget for
   * every gateway). Called while composing, so a lazy Redis connection opens here.
   */
  rateLimiter: RateLimiterFactory;
  plugins: readonly LoadedPlugin[];
  logger: Logger;
  gatewayId: string;
  version: string;
  /** Stored queries at once, shared fairly between connections. */
  querySlots: number;
  /** /readyz/write and the EVENT fast refusal; default always ready. */
  writesReady?: () => boolean;
  /**
   * Watch the fanout feed (FANOUT_HEARTBEAT_MS): out of service while it is lost (cluster; the
   * in-memory bus of one process cannot be lost). Default false.
   */
  watchFanout?: boolean;
}

/**
 * Builds the observed gateway, not yet listening: the caller awaits its seams' readiness, then
 * `listen()`. Hooks run the access policy first (a denied IP or a banned pubkey costs no
 * rate-limit token), then the rate limits, then plugins. Invalid access settings or an unknown
 * plugin hook throw here. With HOT_WINDOW_BYTES > 0 REQs read through the hot window (ADR
 * 0018), whose first warm-up starts with `listen()`: the caller has made sure by then that the
 * fanout subscription is live.
 */
export function composeGateway(config: Config, parts: GatewayParts): Gateway {
  const { management } = parts;
  const hot = createHotWindowReads(config, {
    query: parts.query,
    fanout: parts.fanout,
    accessChanges: parts.accessChanges,
    logger: parts.logger.child({ component: 'hot-window' }),
  });
  const gateway = createObservedGateway(config, {
    ingest: parts.ingest,
    query: hot?.query ?? parts.query,
    fanout: parts.fanout,
    logger: parts.logger,
    gatewayId: parts.gatewayId,
    supportedNips: management.supportedNips(SUPPORTED_NIPS),
    software: SOFTWARE_URL,
    version: parts.version,
    httpRoutes: management.route ? [management.route] : [],
    relayInfo: () => management.state.relayInfo(),
    hooks: concatHooks<GatewayHooks>(
      createAccessHooks(config, management.state),
      gatewayRateLimitHooks(config, parts.rateLimiter),
      pluginHooks(parts.plugins, 'gateway', GATEWAY_HOOK_NAMES),
    ),
    authChallenge: accessAuthChallenge(config),
    querySlots: parts.querySlots,
    ...(parts.writesReady ? { writesReady: parts.writesReady } : {}),
  });
  const watchdog = parts.watchFanout
    ? watchGatewayFeed(config, {
        gateway,
        fanout: parts.fanout,
        hotWindow: hot?.feed,
        logger: parts.logger.child({ component: 'fanout-watchdog' }),
      })
    : undefined;
  if (hot === undefined && watchdog === undefined) return gateway;
  const listen = gateway.listen.bind(gateway);
  const close = gateway.close.bind(gateway);
  gateway.listen = async () => {
    hot?.start();
    const bound = await listen();
    watchdog?.start();
    return bound;
  };
  gateway.close = (graceMs) => {
    // A shutdown is not a lost feed: the watchdog must not suspend a closing gateway.
    watchdog?.stop();
    return close(graceMs).finally(() => {
      hot?.close();
    });
  };
  return gateway;
}
