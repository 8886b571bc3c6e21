/**
 * The conformance suite every {@link RateLimiter} implementation passes: the in-process buckets
 * (here) and the Redis ones (./redis-rate-limit.ts) run the same tests, on a fake clock.
 * Exported as `@nrelay/access/rate-limit-conformance`; it imports `node:test`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RateLimiter, RateLimitSpec } from './rate-limit.js';

/** Builds a limiter for `spec` that reads time (ms) from `now`. */
export type MakeRateLimiter = (spec: RateLimitSpec, now: () => number) => RateLimiter;

/** A fake clock starting at a fixed instant; `advance` moves it forward. */
export function fakeClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

async function takeAll(limiter: RateLimiter, key: string, times: number, cost = 1): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < times; i++) out.push(await limiter.take(key, cost));
  return out;
}

function count(results: readonly boolean[]): number {
  return results.filter(Boolean).length;
}

/**
 * Registers the shared token-bucket tests under `describe(label)`. `shared` says whether two
 * limiters built for the same limit share their buckets (true for a shared store such as Redis).
 */
export function rateLimiterConformance(label: string, make: MakeRateLimiter, shared: boolean): void {
  // Unique names, so reruns against a shared store never see each other's buckets.
  const spec = (rate: number, burst: number): RateLimitSpec => ({
    name: `conf-${randomBytes(4).toString('hex')}`,
    rate,
    burst,
  });

  describe(`rate limiter conformance: ${label}`, () => {
    it('a fresh key may take `burst` tokens at once, then is refused', async () => {
      const clock = fakeClock();
      const limiter = make(spec(1, 5), clock.now);
      assert.deepEqual(await takeAll(limiter, 'k', 7), [true, true, true, true, true, false, false]);
    });

    it('refills at `rate` tokens per second, fractions included', async () => {
      const clock = fakeClock();
      const limiter = make(spec(4, 4), clock.now);
      assert.equal(count(await takeAll(limiter, 'k', 4)), 4);
      assert.equal(await limiter.take('k'), false);
      clock.advance(500); // 2 tokens
      assert.deepEqual(await takeAll(limiter, 'k', 3), [true, true, false]);
      clock.advance(125); // half a token: not enough
      assert.equal(await limiter.take('k'), false);
      clock.advance(125); // the halves add up
      assert.equal(await limiter.take('k'), true);
    });

    it('never holds more than `burst`, however long it was idle', async () => {
      const clock = fakeClock();
      const limiter = make(spec(10, 3), clock.now);
      assert.equal(count(await takeAll(limiter, 'k', 3)), 3);
      clock.advance(3_600_000);
      assert.deepEqual(await takeAll(limiter, 'k', 4), [true, true, true, false]);
    });

    it('keys and limits are independent', async () => {
      const clock = fakeClock();
      const s = spec(1, 2);
      const a = make(s, clock.now);
      const other = make(spec(1, 2), clock.now);
      assert.equal(count(await takeAll(a, 'x', 3)), 2);
      assert.equal(count(await takeAll(a, 'y', 3)), 2, 'another key has its own bucket');
      assert.equal(count(await takeAll(other, 'x', 3)), 2, 'another limit has its own buckets');
    });

    it(`two limiters of the same limit ${shared ? 'share' : 'do not share'} buckets`, async () => {
      const clock = fakeClock();
      const s = spec(1, 3);
      const first = make(s, clock.now);
      const second = make(s, clock.now);
      assert.equal(count(await takeAll(first, 'k', 2)), 2);
      assert.equal(count(await takeAll(second, 'k', 3)), shared ? 1 : 3);
    });

    it('a cost takes that many tokens; a refused take takes nothing', async () => {
      const clock = fakeClock();
      const limiter = make(spec(1, 10), clock.now);
      assert.equal(await limiter.take('k', 7), true);
      assert.equal(await limiter.take('k', 4), false);
      assert.equal(await limiter.take('k', 3), true);
      assert.equal(await limiter.take('k'), false);
      assert.equal(await limiter.take('big', 11), false, 'more than the burst is never allowed');
      assert.equal(await limiter.take('big', 10), true);
    });

    it('concurrent takes never allow more than the bucket holds', async () => {
      const clock = fakeClock();
      const limiter = make(spec(1, 20), clock.now);
      const results = await Promise.all(Array.from({ length: 50 }, () => limiter.take('k')));
      assert.equal(count(results), 20);
    });

    it('a clock that steps back neither adds nor loses tokens', async () => {
      const clock = fakeClock();
      const limiter = make(spec(1, 2), clock.now);
      assert.equal(count(await takeAll(limiter, 'k', 2)), 2);
      clock.advance(-5_000);
      assert.equal(await limiter.take('k'), false);
      clock.advance(6_000); // 1 s past the last take
      assert.deepEqual(await takeAll(limiter, 'k', 2), [true, false]);
    });
  });
}
