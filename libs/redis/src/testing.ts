/**
 * Helpers for tests that need the real Redis: they fail loudly when it is missing (never
 * skip), and give every run its own key prefix so parallel runs and leftovers never collide.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedisOnce } from './connection.js';
import type { RedisTarget } from './target.js';

/** Tests talk only to the local Redis. */
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** The test Redis as the target the Redis users take. */
export const TEST_REDIS_TARGET: RedisTarget = { kind: 'single', url: TEST_REDIS_URL };

/** How to start the Redis the tests expect. */
export const START_REDIS_HINT =
  'start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

/** A fresh key/queue/channel prefix for one test run, e.g. `t1234a1b2c3`. */
export function uniquePrefix(): string {
  return `t${process.pid}${randomBytes(4).toString('hex')}`;
}

/** Opens a plain connection to the test Redis, failing fast with a clear message if it is down. */
export async function connectTestRedis(): Promise<Redis> {
  try {
    return await connectRedisOnce(TEST_REDIS_URL, 2_000);
  } catch (err) {
    throw new Error(
      `these tests need Redis at ${TEST_REDIS_URL}, which is not reachable; ${START_REDIS_HINT}`,
      {
        cause: err,
      },
    );
  }
}

/** Deletes every key starting with `prefix`; returns how many were deleted. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Resolves once `check` returns true, polling; rejects after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One call to a `RecordingLogger`. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

/** A logger for tests that keeps every entry, so tests can assert what was logged. */
export function recordingLogger(): { entries: LogEntry[] } & Record<
  LogEntry['level'],
  (obj: object, msg?: string) => void
> {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Kills the server side of the connections whose CLIENT LIST name is `name`; returns how many. */
export async function killConnectionsNamed(redis: Redis, name: string): Promise<number> {
  const list = await redis.client('LIST');
  let killed = 0;
  for (const line of String(list).split('\n')) {
    const fields = new Map(line.split(' ').map((kv) => kv.split('=', 2) as [string, string]));
    if (fields.get('name') === name) {
      await redis.client('KILL', 'ID', fields.get('id') ?? '');
      killed++;
    }
  }
  return killed;
}

export { slotOf, spreadChannels } from './slot.js';
export { startTestRedisCluster, type TestClusterNode, type TestRedisCluster } from './testing/cluster.js';
