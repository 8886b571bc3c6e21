export {
  type AccessChange,
  type AccessChangeBus,
  type AccessChangeKind,
  createMemoryAccessChangeBus,
  decodeAccessChange,
} from './access-changes.js';
export {
  type AccessConfig,
  type AccessSettings,
  accessSettingsOf,
  privilegedKindsOf,
} from './access-settings.js';
export { type AnnounceTarget, announceStoredEvents } from './announce-writes.js';
export {
  type CidrList,
  formatIpv4,
  formatIpv6,
  ipInList,
  normaliseIp,
  type ParsedIp,
  parseCidrList,
  parsedIpInList,
  parseIp,
} from './cidr.js';
export {
  type ClientIpResolver,
  createClientIpResolver,
  createProxyProtocolServer,
  PROXY_HEADER_TIMEOUT_MS,
  type ProxyProtocolOptions,
  ProxyProtocolServer,
} from './client-ip.js';
export { ipBlockMatcher, normalizeIpRule } from './ip-blocklist.js';
export {
  adminPubkeys,
  type Management,
  type ManagementConfig,
  startManagement,
} from './management.js';
export {
  type ManagementIngestHooks,
  type ManagementIngestOptions,
  managementIngestHooks,
  managementRejection,
  supportedNipsWithManagement,
} from './management-hooks.js';
export { RpcParamError } from './management-params.js';
export {
  createManagementRoute,
  DEFAULT_MAX_RPC_BODY_BYTES,
  type ManagementLogger,
  type ManagementRouteOptions,
  NIP86_CONTENT_TYPE,
} from './management-route.js';
export {
  callManagementMethod,
  MANAGEMENT_METHODS,
  type ManagementBackend,
  parseRpcRequest,
  type RpcContext,
  type RpcOutcome,
  type RpcRequest,
} from './management-rpc.js';
export {
  type AccessSnapshot,
  type AccessSource,
  type AccessStateLogger,
  type AccessStateOptions,
  compileSnapshot,
  loadAccessState,
  type ManagedAccessState,
} from './management-state.js';
export {
  DEFAULT_NIP98_WINDOW_SECONDS,
  decodeAuthorization,
  HTTP_AUTH_KIND,
  type Nip98Expectation,
  type Nip98Result,
  sameResourceUrl,
  sha256Hex,
  verifyNip98,
} from './nip98.js';
export {
  type AccessMode,
  type AccessPolicy,
  type AccessViewer,
  accessLimitation,
  authChallengeTiming,
  canRead,
  canWrite,
  checkProtectedEvent,
  effectiveLevel,
  isProtectedEvent,
  mayReceivePrivileged,
  modeRequiresAuthToRead,
  modeRestrictsWrites,
  onlyPrivilegedKinds,
  REASONS,
} from './policy.js';
export { type ProxyHeader, parseProxyHeader, proxyV1Header, proxyV2Header } from './proxy-protocol.js';
export { createPublicOriginResolver, type PublicOriginResolver, requestPath } from './public-url.js';
export {
  checkRateLimitSpec,
  DEFAULT_MAX_KEYS,
  fullRefillMs,
  LocalRateLimiter,
  type LocalRateLimiterOptions,
  localRateLimiters,
  type RateLimiter,
  type RateLimiterFactory,
  type RateLimitSpec,
} from './rate-limit.js';
export {
  createGatewayRateLimitHooks,
  createIngestRateLimitHooks,
  createRateLimitHooks,
  RATE_LIMIT_REASONS,
  type RateLimitedConnection,
  type RateLimitGatewayHooks,
  type RateLimitHooks,
  type RateLimitInfo,
  type RateLimitIngestHooks,
  type RateLimitSpecs,
  rateLimitInfo,
  rateLimitSpecs,
} from './rate-limit-hooks.js';
export {
  aclChannel,
  createRedisAccessChangeBus,
  type RedisAccessChangeBus,
  type RedisAccessChangeBusOptions,
} from './redis-access-changes.js';
export {
  createRedisRateLimiters,
  RATE_LIMIT_COMMAND_TIMEOUT_MS,
  RATE_LIMIT_SCRIPT,
  type RedisRateLimiters,
  type RedisRateLimitersOptions,
  rateLimitKeyPrefix,
} from './redis-rate-limit.js';
export { type AccessLevel, type AccessState, EMPTY_ACCESS_STATE, type RelayInfoOverrides } from './state.js';
