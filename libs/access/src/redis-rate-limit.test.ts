import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { rateLimiterConformance } from '@nrelay/access/rate-limit-conformance';
import {
  connectTestRedis,
  deleteKeys,
  recordingLogger,
  TEST_REDIS_TARGET,
  uniquePrefix,
} from '@nrelay/redis/testing';
import type { Redis } from 'ioredis';
import {
  createRedisRateLimiters,
  RATE_LIMIT_SCRIPT,
  type RedisRateLimiters,
  rateLimitKeyPrefix,
} from './redis-rate-limit.js';

const prefix = uniquePrefix();
let admin: Redis;
const opened: RedisRateLimiters[] = [];
const shared = open();

function open(now?: () => number): RedisRateLimiters {
  // Built at load time and awaited in `before`: a take before the connection is ready fails open.
  const limiters = createRedisRateLimiters({
    target: TEST_REDIS_TARGET,
    prefix,
    logger: recordingLogger(),
    now,
  });
  limiters.limiter({ name: 'warm-up', rate: 1, burst: 1 }); // opens the connection
  opened.push(limiters);
  return limiters;
}

before(async () => {
  admin = await connectTestRedis();
  await Promise.all(opened.map((l) => l.ready()));
});

after(async () => {
  await Promise.all(opened.map((l) => l.close()));
  await deleteKeys(admin, `${prefix}:`);
  admin.disconnect();
});

// The same suite as the in-process buckets, on the test's fake clock (tests run one at a time,
// so one connection reads whichever fake clock the current test built its limiters with).
let clock: () => number = Date.now;
const onFakeClock = open(() => clock());
rateLimiterConformance(
  'redis',
  (spec, now) => {
    clock = now;
    return onFakeClock.limiter(spec);
  },
  true,
);

describe('redis rate limiter', () => {
  it('keeps each bucket under <prefix>:rl:<limit>: with a TTL of the full-refill time', async () => {
    const limiter = shared.limiter({ name: 'ttl', rate: 2, burst: 10 });
    await shared.ready();
    assert.equal(await limiter.take('1.2.3.4'), true);
    const key = `${rateLimitKeyPrefix(prefix, 'ttl')}1.2.3.4`;
    assert.equal(key, `${prefix}:rl:ttl:1.2.3.4`);
    const ttl = await admin.pttl(key);
    assert.ok(ttl > 5_000 && ttl <= 6_000, `pttl ${ttl}`);
    assert.equal(Number(await admin.hget(key, 't')), 9);
  });

  it('uses the Redis clock when none is given: takes refill in real time', async () => {
    const limiter = shared.limiter({ name: 'real', rate: 20, burst: 2 });
    assert.equal(await limiter.take('k'), true);
    assert.equal(await limiter.take('k'), true);
    assert.equal(await limiter.take('k'), false);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(await limiter.take('k'), true);
  });

  it('loads the script again after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    const limiter = shared.limiter({ name: 'flush', rate: 1, burst: 3 });
    assert.equal(await limiter.take('k'), true);
    await admin.script('FLUSH');
    assert.equal(await limiter.take('k'), true);
    const [loaded] = (await admin.script('EXISTS', hashOf(RATE_LIMIT_SCRIPT))) as number[];
    assert.equal(loaded, 1);
    assert.equal(await limiter.take('k'), true);
    assert.equal(await limiter.take('k'), false);
  });

  it('fails open with one logged warning when Redis is unreachable', async () => {
    const logger = recordingLogger();
    const limiters = createRedisRateLimiters({
      target: { kind: 'single', url: 'redis://127.0.0.1:1' },
      prefix,
      logger,
    });
    try {
      await limiters.ready(); // nothing opened yet
      const limiter = limiters.limiter({ name: 'down', rate: 1, burst: 1 });
      const started = Date.now();
      const results = await Promise.all([limiter.take('k'), limiter.take('k'), limiter.take('k')]);
      assert.deepEqual(results, [true, true, true]);
      assert.ok(Date.now() - started < 1_000, 'an outage must not add latency');
      const warnings = logger.entries.filter((e) => e.msg?.startsWith('rate limit unavailable'));
      assert.equal(warnings.length, 1);
    } finally {
      await limiters.close();
    }
  });
});

function hashOf(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
