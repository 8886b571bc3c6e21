/**
 * Redis connections shared by the cluster seams, rate limits and access-change buses. Every key
 * and channel they use starts with the deployment's prefix, so several relays (or test runs)
 * can share one Redis.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** The subset of a pino logger the Redis users log through. */
export interface RedisLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Opens an ioredis connection that retries forever with a capped backoff and logs each
 * disconnect and reconnect; `role` names the connection in logs and in CLIENT LIST (no spaces).
 */
export function connectRedis(
  url: string,
  role: string,
  logger: RedisLogger,
  options: RedisOptions = {},
): Redis {
  const redis = new Redis(url, {
    connectionName: role,
    // Reconnect forever: a Redis restart must not need a process restart.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000),
    // Bounded: a command waits through at most this many reconnects, then fails to its caller.
    maxRetriesPerRequest: 3,
    connectTimeout: 5_000,
    ...options,
  });
  let lost = false;
  redis.on('error', (err: Error) => {
    // One warning per outage; the retries of the same outage are debug noise.
    if (lost) logger.debug({ err, role }, 'redis connection error');
    else logger.warn({ err, role }, 'redis connection error');
  });
  redis.on('close', () => {
    if (redis.status === 'end') return;
    if (!lost) logger.warn({ role }, 'redis connection lost; reconnecting');
    lost = true;
  });
  redis.on('reconnecting', (delay: number) => {
    logger.debug({ role, delay }, 'redis reconnecting');
  });
  redis.on('ready', () => {
    if (lost) logger.info({ role }, 'redis reconnected');
    lost = false;
  });
  return redis;
}

/**
 * Opens one connection that does not retry and answers PING within `timeoutMs`, or rejects with
 * the connection error (the connection is closed then): for checks that must fail fast with a
 * message of the caller's own, such as a launcher's preflight or a test's first contact.
 */
export async function connectRedisOnce(url: string, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}

/** Resolves once the connection is (or becomes) ready. */
export function whenConnected(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

/** Closes a connection politely (QUIT), falling back to a hard disconnect. */
export async function quitRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
