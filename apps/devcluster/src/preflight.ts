import { hostname } from 'node:os';
import { accessSettingsOf } from '@nrelay/access';
import { loadConfig } from '@nrelay/config';
import { connectRedisOnce, describeRedisTarget, type RedisClient, type RedisTarget } from '@nrelay/redis';
import { canListen } from './ports.js';

/** The key a running launcher holds under its Redis prefix; expires unless refreshed. */
const OWNER_KEY_SUFFIX = 'devcluster:owner';
const OWNER_TTL_SECONDS = 15;
const OWNER_REFRESH_MS = 5_000;

/** Who holds a Redis prefix: enough to tell the operator which cluster it is. */
interface Owner {
  database: string;
  pid: number;
  host: string;
  startedAt: string;
}

/** A database URL without its password, to show and compare. */
function databaseIdentity(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

function failure(message: string): Error {
  const err = new Error(message);
  err.name = 'PreflightError';
  return err;
}

/**
 * Validates the settings every service will read (throws a ConfigError listing every problem),
 * so a bad value stops the launcher before it creates or migrates anything, instead of a
 * service failing after the migrations ran.
 */
export function assertSettingsValid(env: Record<string, string | undefined>): void {
  accessSettingsOf(loadConfig(env));
}

/**
 * Fails with one line when any of `ports` cannot be listened on `host`, naming every taken
 * port and the setting that moves it, before anything is started.
 */
export async function assertPortsFree(host: string, ports: ReadonlyArray<{ port: number; what: string }>) {
  const taken: string[] = [];
  for (const { port, what } of ports) if (!(await canListen(port, host))) taken.push(`${port} (${what})`);
  if (taken.length > 0)
    throw failure(
      `port(s) already in use on ${host}: ${taken.join(', ')}; stop what holds them or set PORT / QUERY_PORT / INGEST_HEALTH_PORT`,
    );
}

/**
 * Connects to Redis (fails within seconds with what to do when it is unreachable, instead of
 * the services timing out later), then claims `prefix` for this launcher: a cluster already
 * running on the same prefix, on any database, makes the start fail, as two clusters on one
 * prefix would share one ingest queue and store each other's events. The claim is refreshed
 * while the cluster runs and released by `release()`; a killed launcher's claim expires in
 * 15 s.
 */
export async function claimRedisPrefix(target: RedisTarget, prefix: string, databaseUrl: string) {
  const redisUrl = describeRedisTarget(target);
  let redis: RedisClient;
  try {
    redis = await connectRedisOnce(target, 3_000);
  } catch (err) {
    throw failure(
      `cannot reach Redis at ${redisUrl} (${err instanceof Error ? err.message : String(err)}); start it (e.g. redis-server --daemonize yes --port 6379) or set REDIS_URL`,
    );
  }
  const key = `${prefix}:${OWNER_KEY_SUFFIX}`;
  const me: Owner = {
    database: databaseIdentity(databaseUrl),
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
  };
  const value = JSON.stringify(me);
  const claimed = await redis.set(key, value, 'EX', OWNER_TTL_SECONDS, 'NX');
  if (claimed !== 'OK') {
    const raw = await redis.get(key);
    redis.disconnect();
    const other = raw ? (JSON.parse(raw) as Owner) : undefined;
    const who = other
      ? `pid ${other.pid} on ${other.host}, database ${other.database}, since ${other.startedAt}`
      : 'another launcher';
    throw failure(
      `another nrelay cluster already uses Redis prefix "${prefix}" at ${redisUrl} (${who}); stop it or set REDIS_PREFIX to a prefix of this cluster's own`,
    );
  }
  // Refreshed only while it is still ours.
  const refresh = setInterval(() => {
    void redis
      .eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0",
        1,
        key,
        value,
        String(OWNER_TTL_SECONDS),
      )
      .catch(() => {});
  }, OWNER_REFRESH_MS);
  refresh.unref();
  return {
    async release(): Promise<void> {
      clearInterval(refresh);
      await redis
        .eval(
          "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
          1,
          key,
          value,
        )
        .catch(() => {});
      redis.disconnect();
    },
  };
}
