/** @nrelay/gateway: the WebSocket front of the relay (NIP-01, 11, 42, 45), built by `createGateway`. */
export { type BufferedEvent, Connection, type Subscription } from './connection.js';
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
export { allIdsFound, applyFilterHooks, normaliseLimits } from './filters.js';
export { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
export { type AuthExpectation, checkAuthEvent, handleAuth } from './handlers/auth.js';
export { dropSubscription, handleClose } from './handlers/close.js';
export { handleCount } from './handlers/count.js';
export { AUTH_KIND, challengeIfAuthRequired, handleEvent } from './handlers/event.js';
export { handleReq } from './handlers/req.js';
export {
  type ConnectionInfo,
  firstRejection,
  type GatewayHooks,
  prefixedReason,
  resolveHooks,
} from './hooks.js';
export { CORS_HEADERS, createHttpHandler, type HttpOptions, type HttpRoute } from './http.js';
export { closeSlowConsumer, releaseConnection, SLOW_CONSUMER_CLOSE_CODE } from './lifecycle.js';
export { escapeHtml, type RelaySoftware, relayInformation, relayPage } from './nip11.js';
export { rawEventId } from './raw-id.js';
export { ConnectionRegistry, clientIp, HEARTBEAT_INTERVAL_MS } from './registry.js';
export { relayUrlMatches } from './relay-url.js';
export {
  createCounters,
  type GatewayCounters,
  type GatewayStats,
  type InboundKind,
  type OutboundKind,
} from './stats.js';
export { type IndexedSubscription, SubscriptionIndex } from './subscription-index.js';
