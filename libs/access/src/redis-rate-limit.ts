/**
 * Token buckets shared by the whole cluster: one Redis hash per (limit, key), refilled and taken
 * by one Lua script so concurrent gateways never over-spend a bucket. The clock is the Redis
 * server's, so gateways with skewed clocks still agree.
 */
import { createHash } from 'node:crypto';
import {
  connectRedis,
  quitRedis,
  type RedisClient,
  type RedisLogger,
  type RedisTarget,
  whenConnected,
} from '@nrelay/redis';
import { ReplyError } from 'ioredis';
import {
  checkRateLimitSpec,
  fullRefillMs,
  type RateLimiter,
  type RateLimiterFactory,
  type RateLimitSpec,
} from './rate-limit.js';

/**
 * KEYS[1]: the bucket (hash: t = tokens, a = last update in ms).
 * ARGV: rate per ms, burst, cost, TTL in ms, now in ms (empty: the server's TIME).
 * Returns 1 when the tokens were taken, 0 when the bucket held too few (then nothing is taken).
 * A missing key is a full bucket, and the TTL is the full-refill time, so expiry is exact.
 */
export const RATE_LIMIT_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[5])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local taken = 0
if tokens >= cost then
  tokens = tokens - cost
  taken = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', tostring(at))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return taken
`;

const SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');

/** Longest a take waits for Redis before failing open. */
export const RATE_LIMIT_COMMAND_TIMEOUT_MS = 500;
/** At most one "failing open" warning per this many ms. */
const WARN_INTERVAL_MS = 30_000;

/** The Redis key prefix of one limit's buckets. */
export function rateLimitKeyPrefix(prefix: string, name: string): string {
  return `${prefix}:rl:${name}:`;
}

/** Options of {@link createRedisRateLimiters}. */
export interface RedisRateLimitersOptions {
  /** The deployment's Redis; on a cluster each bucket (one key per script call) lives on its slot's shard. */
  target: RedisTarget;
  /** REDIS_PREFIX: buckets live under `${prefix}:rl:`. */
  prefix: string;
  logger: RedisLogger;
  /** Clock in ms, for tests; default the Redis server's TIME. */
  now?: () => number;
  /** Default {@link RATE_LIMIT_COMMAND_TIMEOUT_MS}. */
  commandTimeoutMs?: number;
}

/** Shared limiters over one Redis connection (opened by the first `limiter` call). */
export interface RedisRateLimiters {
  /** Builds the limiter of one limit (a {@link RateLimiterFactory}). */
  readonly limiter: RateLimiterFactory;
  /** Resolves once the connection is ready (takes before that fail open); at once if none was opened. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens one Redis connection for rate limits. When Redis is unreachable, slow (past the command
 * timeout) or answers with an error, a take FAILS OPEN: it is allowed and a warning is logged (at
 * most one per 30 s). A rate limit protects the relay; it must not take the relay down with Redis.
 * Commands are never queued while disconnected, so an outage costs no latency.
 */
export function createRedisRateLimiters(options: RedisRateLimitersOptions): RedisRateLimiters {
  const { logger } = options;
  // Opened by the first limiter built: with every shared limit off there is no connection at all.
  let redis: RedisClient | undefined;
  const connection = (): RedisClient =>
    (redis ??= connectRedis(options.target, 'rate-limit', logger, {
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? RATE_LIMIT_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
    }));
  let lastWarning = 0;
  let allowedUnchecked = 0;

  function failOpen(err: unknown, limit: string): true {
    allowedUnchecked++;
    const now = Date.now();
    if (now - lastWarning >= WARN_INTERVAL_MS) {
      logger.warn(
        { err, limit, allowedUnchecked },
        'rate limit unavailable (Redis); allowing requests unchecked',
      );
      lastWarning = now;
      allowedUnchecked = 0;
    }
    return true;
  }

  function limiter(spec: RateLimitSpec): RateLimiter {
    checkRateLimitSpec(spec);
    const keyPrefix = rateLimitKeyPrefix(options.prefix, spec.name);
    const rate = String(spec.rate / 1000);
    const burst = String(spec.burst);
    // A second of slack past the full refill, so a bucket never expires while it still matters.
    const ttl = String(fullRefillMs(spec) + 1000);
    const now = options.now;
    const redis = connection();
    return {
      async take(key, cost = 1) {
        const args = [rate, burst, String(cost), ttl, now ? String(now()) : ''];
        try {
          return (await evalScript(redis, keyPrefix + key, args)) === 1;
        } catch (err) {
          return failOpen(err, spec.name);
        }
      },
    };
  }

  return {
    limiter,
    ready: () => (redis ? whenConnected(redis) : Promise.resolve()),
    close: () => (redis ? quitRedis(redis) : Promise.resolve()),
  };
}

/** EVALSHA, falling back to EVAL (which also caches the script) when Redis does not know it yet. */
async function evalScript(redis: RedisClient, key: string, args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(SCRIPT_SHA, 1, key, ...args);
  } catch (err) {
    // The error type (first word of a Redis error reply), not its prose.
    if (err instanceof ReplyError && (err as Error).message.startsWith('NOSCRIPT ')) {
      return await redis.eval(RATE_LIMIT_SCRIPT, 1, key, ...args);
    }
    throw err;
  }
}
