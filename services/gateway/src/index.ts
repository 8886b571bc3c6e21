/** @nrelay/gateway: the WebSocket front of the relay (NIP-01, 11, 42, 45), built by `createGateway`. */

export {
  type AccessHookConfig,
  accessAuthChallenge,
  type ClientAddressing,
  createAccessHooks,
  createClientAddressing,
  IP_REASONS,
} from './access/index.js';
export { type AnswerTally, createAnswerTally, tallyAnswer } from './answer-tally.js';
export { composeGateway, type GatewayManagement, type GatewayParts } from './compose.js';
export { Connection } from './connection.js';
export {
  type AuthChallengeTiming,
  type ContextDeps,
  createGatewayContext,
  type GatewayContext,
  PendingSubmits,
  parseLimitsOf,
} from './context.js';
export { answerParseError, createDispatcher, type Dispatcher } from './dispatch.js';
export { createFanoutDelivery } from './fanout.js';
export { applyFilterHooks } from './filter-hooks.js';
export { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
export { type AuthExpectation, checkAuthEvent, handleAuth } from './handlers/auth.js';
export { dropSubscription, handleClose } from './handlers/close.js';
export { handleCount } from './handlers/count.js';
export { AUTH_KIND, challengeIfAuthRequired, handleEvent } from './handlers/event.js';
export { handleReq } from './handlers/req.js';
export {
  type ConnectionInfo,
  firstRejection,
  firstRejectionOfEach,
  GATEWAY_HOOK_NAMES,
  type GatewayHooks,
  prefixedReason,
  resolveHooks,
} from './hooks.js';
/** The hot window (ADR 0018): composed by composeGateway; exported for the seam's conformance run. */
export type { WindowViewer } from './hot-window/answer.js';
export { HotWindowFeed, type HotWindowFeedOptions } from './hot-window/feed.js';
export { type HotWindowQueryStats, withHotWindow } from './hot-window/query-client.js';
export {
  type AddOutcome,
  HotWindow,
  type HotWindowOptions,
  type HotWindowState,
} from './hot-window/window.js';
export {
  CORS_HEADERS,
  createHttpHandler,
  type HttpOptions,
  type HttpRoute,
  type RelayInfoOverrides,
} from './http.js';
export { releaseConnection } from './lifecycle.js';
export { exportGatewayStats, type GatewayHistograms, gatewayHistograms } from './metrics.js';
export { escapeHtml, type RelaySoftware, relayInformation, relayPage } from './nip11.js';
export { createObservedGateway, withGatewayTelemetry } from './observed.js';
export { rawEventId } from './raw-id.js';
export { ConnectionRegistry, HEARTBEAT_INTERVAL_MS, peerIp } from './registry.js';
export { relayUrlMatches } from './relay-url.js';
export {
  createCounters,
  type GatewayCounters,
  type GatewayStats,
  type InboundKind,
  type OutboundKind,
} from './stats.js';
export { type IndexedSubscription, SubscriptionIndex } from './subscription-index.js';
export { closeSlowConsumer, SLOW_CONSUMER_CLOSE_CODE } from './subscriptions/backpressure.js';
export { allIdsFound, normaliseLimits } from './subscriptions/filters.js';
export type { SubscriptionContext, SubscriptionOwner, SubscriptionSettings } from './subscriptions/owner.js';
export { Subscription, type SubscriptionState } from './subscriptions/subscription.js';
export { observeFanoutBus, observeQueryClient, traceClientMessage, traceIngestClient } from './telemetry.js';
