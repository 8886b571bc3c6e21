/**
 * The built-in rate limits, written as hooks (the same mechanism plugins use). The hook types
 * here are structural: they are assignable to the gateway's and ingest's hook lists without
 * this library importing either service.
 */
import type { Config } from '@nrelay/config';
import type { NostrEvent } from '@nrelay/protocol';
import {
  LocalRateLimiter,
  localRateLimiters,
  type RateLimiterFactory,
  type RateLimitSpec,
} from './rate-limit.js';

type Verdict = string | undefined;
type MaybePromise<T> = T | Promise<T>;

/** What the rate limits look at of a connection. */
export interface RateLimitedConnection {
  readonly id: string;
  readonly ip: string;
}

/** Gateway hooks of the rate limits (only the enabled ones are present). */
export interface RateLimitGatewayHooks {
  rejectConnection?: Array<(req: unknown, ip: string) => MaybePromise<Verdict>>;
  rejectEvent?: Array<(event: NostrEvent, conn: RateLimitedConnection) => MaybePromise<Verdict>>;
  rejectReq?: Array<(filters: unknown, conn: RateLimitedConnection) => Verdict>;
  onDisconnect?: Array<(conn: RateLimitedConnection) => void>;
}

/** Ingest hooks of the rate limits: the per-pubkey limit runs after signature verification. */
export interface RateLimitIngestHooks {
  rejectEvent?: Array<(event: NostrEvent) => MaybePromise<Verdict>>;
}

/** The rate limits as a plugin-shaped pair of hook sets. */
export interface RateLimitHooks {
  gateway: RateLimitGatewayHooks;
  ingest: RateLimitIngestHooks;
}

/** The reasons clients get, one per limit. */
export const RATE_LIMIT_REASONS = {
  connectionsPerIp: 'rate-limited: too many new connections from your IP address, slow down',
  eventsPerIp: 'rate-limited: too many events from your IP address, slow down',
  eventsPerPubkey: 'rate-limited: too many events from this pubkey, slow down',
  reqsPerConnection: 'rate-limited: too many REQs and COUNTs on this connection, slow down',
} as const;

/** The four limits, as configured; `undefined` when off (rate 0). */
export interface RateLimitSpecs {
  connectionsPerIp: RateLimitSpec | undefined;
  eventsPerIp: RateLimitSpec | undefined;
  eventsPerPubkey: RateLimitSpec | undefined;
  reqsPerConnection: RateLimitSpec | undefined;
}

function specOf(name: string, rate: number, burst: number): RateLimitSpec | undefined {
  return rate > 0 ? { name, rate, burst } : undefined;
}

/** Reads the RATE_* / BURST_* settings. */
export function rateLimitSpecs(config: Config): RateLimitSpecs {
  return {
    connectionsPerIp: specOf('conn-ip', config.RATE_CONNECTIONS_PER_IP, config.BURST_CONNECTIONS_PER_IP),
    eventsPerIp: specOf('event-ip', config.RATE_EVENTS_PER_IP, config.BURST_EVENTS_PER_IP),
    eventsPerPubkey: specOf('event-pubkey', config.RATE_EVENTS_PER_PUBKEY, config.BURST_EVENTS_PER_PUBKEY),
    reqsPerConnection: specOf('req-conn', config.RATE_REQS_PER_CONNECTION, config.BURST_REQS_PER_CONNECTION),
  };
}

/** Turns a take into a hook verdict, staying synchronous when the take is. */
function verdictOf(allowed: boolean | Promise<boolean>, reason: string): MaybePromise<Verdict> {
  if (allowed === true) return undefined;
  if (allowed === false) return reason;
  return allowed.then((ok) => (ok ? undefined : reason));
}

/**
 * Builds the enabled rate limits as hooks, as a plugin-shaped pair. `shared` builds the limiters
 * of the per-IP and per-pubkey limits: Redis-backed in a cluster (one budget for every gateway
 * and worker), local in standalone. The per-connection REQ limit is always local: a connection
 * lives on one gateway.
 *
 * - new connections per IP: gateway `rejectConnection` (HTTP 429);
 * - EVENTs per IP: gateway `rejectEvent`, before ingest verifies the signature;
 * - EVENTs per pubkey: ingest `rejectEvent`, after the signature is verified, so nobody can spend
 *   another pubkey's budget with forged events;
 * - REQs and COUNTs per connection: gateway `rejectReq`.
 */
export function createRateLimitHooks(
  config: Config,
  shared: RateLimiterFactory = localRateLimiters(),
): RateLimitHooks {
  return {
    gateway: createGatewayRateLimitHooks(config, shared),
    ingest: createIngestRateLimitHooks(config, shared),
  };
}

/** The gateway half of {@link createRateLimitHooks}: builds only the limiters the gateway uses. */
export function createGatewayRateLimitHooks(
  config: Config,
  shared: RateLimiterFactory = localRateLimiters(),
): RateLimitGatewayHooks {
  const specs = rateLimitSpecs(config);
  const gateway: RateLimitGatewayHooks = {};
  if (specs.connectionsPerIp) {
    const limiter = shared(specs.connectionsPerIp);
    const reason = RATE_LIMIT_REASONS.connectionsPerIp;
    gateway.rejectConnection = [(_req, ip) => verdictOf(limiter.take(ip), reason)];
  }
  if (specs.eventsPerIp) {
    const limiter = shared(specs.eventsPerIp);
    const reason = RATE_LIMIT_REASONS.eventsPerIp;
    gateway.rejectEvent = [(_event, conn) => verdictOf(limiter.take(conn.ip), reason)];
  }
  if (specs.reqsPerConnection) {
    const limiter = new LocalRateLimiter(specs.reqsPerConnection);
    const reason = RATE_LIMIT_REASONS.reqsPerConnection;
    gateway.rejectReq = [(_filters, conn) => (limiter.take(conn.id) ? undefined : reason)];
    gateway.onDisconnect = [(conn) => limiter.forget(conn.id)];
  }
  return gateway;
}

/** The ingest half of {@link createRateLimitHooks}: the per-pubkey limit. */
export function createIngestRateLimitHooks(
  config: Config,
  shared: RateLimiterFactory = localRateLimiters(),
): RateLimitIngestHooks {
  const spec = rateLimitSpecs(config).eventsPerPubkey;
  if (spec === undefined) return {};
  const limiter = shared(spec);
  const reason = RATE_LIMIT_REASONS.eventsPerPubkey;
  return { rejectEvent: [(event) => verdictOf(limiter.take(event.pubkey), reason)] };
}

/** One limit as advertised in the NIP-11 document. */
export interface RateLimitInfo {
  /** Tokens per second. */
  rate: number;
  burst: number;
}

/**
 * The enabled limits for the NIP-11 document's top-level `nrelay_rate_limits` object (NIP-11's
 * `limitation` has no rate fields); undefined when every limit is off, so nothing is advertised.
 */
export function rateLimitInfo(config: Config): Record<string, RateLimitInfo> | undefined {
  const specs = rateLimitSpecs(config);
  const out: Record<string, RateLimitInfo> = {};
  const add = (key: string, spec: RateLimitSpec | undefined) => {
    if (spec) out[key] = { rate: spec.rate, burst: spec.burst };
  };
  add('connections_per_ip', specs.connectionsPerIp);
  add('events_per_ip', specs.eventsPerIp);
  add('events_per_pubkey', specs.eventsPerPubkey);
  add('reqs_per_connection', specs.reqsPerConnection);
  return Object.keys(out).length > 0 ? out : undefined;
}
