/**
 * Redis connections shared by the cluster seams, rate limits and access-change buses. Every key
 * and channel they use starts with the deployment's prefix, so several relays (or test runs)
 * can share one Redis.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './target.js';

/** A connection to a single Redis or to a Redis Cluster: the commands both understand. */
export type RedisClient = Redis | Cluster;

/** The subset of a pino logger the Redis users log through. */
export interface RedisLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Reconnect forever: a Redis restart (or a cluster failover) must not need a process restart. */
const retryForever = (times: number): number => Math.min(50 * 2 ** Math.min(times, 10), 2_000);

/**
 * Opens an ioredis connection that retries forever with a capped backoff and logs each
 * disconnect and reconnect; `role` names the connection in logs and in CLIENT LIST (no spaces).
 * On a cluster target it is an ioredis `Cluster` (one connection per node, commands routed by
 * slot, failovers followed); `options` then apply to every node's connection, and
 * `clusterOptions` override the cluster-wide ones below.
 */
export function connectRedis(
  target: RedisTarget,
  role: string,
  logger: RedisLogger,
  options: RedisOptions = {},
  clusterOptions: Partial<ClusterOptions> = {},
): RedisClient {
  const settings: RedisOptions = {
    connectionName: role,
    retryStrategy: retryForever,
    // Bounded: a command waits through at most this many reconnects, then fails to its caller.
    maxRetriesPerRequest: 3,
    connectTimeout: 5_000,
    ...options,
  };
  const redis =
    target.kind === 'cluster'
      ? openCluster(target.seeds, settings, clusterOptions)
      : new Redis(target.url, settings);
  watchConnection(redis, role, logger);
  return redis;
}

/** An ioredis Cluster with the given per-connection settings (the cluster-wide ones lifted out). */
function openCluster(
  seeds: readonly { host: string; port: number }[],
  settings: RedisOptions,
  overrides: Partial<ClusterOptions> = {},
): Cluster {
  const { retryStrategy, enableOfflineQueue, enableAutoPipelining, ...redisOptions } = settings;
  return new Cluster(
    seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      redisOptions,
      clusterRetryStrategy: (times) => retryForever(times),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      // A failover takes cluster-node-timeout plus an election: retry MOVED/CLUSTERDOWN meanwhile.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      slotsRefreshTimeout: 2_000,
      // Owner changes (a failover, a resharding) are noticed within this even without an error.
      slotsRefreshInterval: 2_000,
      ...overrides,
    },
  );
}

function watchConnection(redis: RedisClient, role: string, logger: RedisLogger): void {
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
}

/**
 * Opens one connection that does not retry and answers PING within `timeoutMs`, or rejects with
 * the connection error (the connection is closed then): for checks that must fail fast with a
 * message of the caller's own, such as a launcher's preflight or a test's first contact.
 */
export async function connectRedisOnce(url: string, timeoutMs: number): Promise<Redis>;
export async function connectRedisOnce(target: RedisTarget, timeoutMs: number): Promise<RedisClient>;
export async function connectRedisOnce(where: string | RedisTarget, timeoutMs: number): Promise<RedisClient> {
  const once = { connectTimeout: timeoutMs, maxRetriesPerRequest: 0 };
  const target: RedisTarget = typeof where === 'string' ? { kind: 'single', url: where } : where;
  const redis =
    target.kind === 'cluster'
      ? new Cluster(
          target.seeds.map((s) => ({ host: s.host, port: s.port })),
          { lazyConnect: true, redisOptions: once, clusterRetryStrategy: () => null },
        )
      : new Redis(target.url, { ...once, lazyConnect: true, retryStrategy: () => null });
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
export function whenConnected(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

/** Closes a connection politely (QUIT), falling back to a hard disconnect. */
export async function quitRedis(redis: RedisClient): Promise<void> {
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

/**
 * The `connection` option of a BullMQ Worker or Queue that owns its connections: the URL on a
 * single Redis (BullMQ connects, and closes on close()), a Cluster of ours on a cluster target
 * (BullMQ duplicates it for its blocking connection; the caller closes it after the worker).
 * Blocking commands must wait through reconnects, hence no per-request retry limit.
 */
export function bullmqConnectionOf(target: RedisTarget): { url: string } | Cluster {
  if (target.kind === 'single') return { url: target.url };
  return openCluster(target.seeds, { connectTimeout: 5_000, maxRetriesPerRequest: null });
}
