import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalRateLimiter, localRateLimiters } from './rate-limit.js';
import { fakeClock, rateLimiterConformance } from './rate-limit-conformance.js';

rateLimiterConformance('local', (spec, now) => new LocalRateLimiter(spec, { now }), false);

describe('LocalRateLimiter memory', () => {
  it('evicts buckets idle for a full-refill period, without changing any answer', () => {
    const clock = fakeClock();
    // Full refill takes 2 s; generations turn over every 2 s.
    const limiter = new LocalRateLimiter({ name: 'evict', rate: 5, burst: 10 }, { now: clock.now });
    for (let i = 0; i < 100; i++) limiter.take(`ip-${i}`);
    assert.equal(limiter.size, 100);
    clock.advance(2_000);
    limiter.take('active');
    assert.equal(limiter.size, 101, 'one turnover keeps the previous generation');
    clock.advance(2_000);
    limiter.take('active');
    assert.equal(limiter.size, 1, 'two turnovers drop buckets idle since');
    assert.equal(limiter.take('ip-0', 10), true, 'a forgotten bucket is a full one');
  });

  it('a long idle gap drops both generations at once', () => {
    const clock = fakeClock();
    const limiter = new LocalRateLimiter({ name: 'gap', rate: 1, burst: 1 }, { now: clock.now });
    limiter.take('a');
    limiter.take('b');
    clock.advance(60_000);
    limiter.take('c');
    assert.equal(limiter.size, 1);
  });

  it('a bucket in use survives turnovers with its tokens', () => {
    const clock = fakeClock();
    const limiter = new LocalRateLimiter({ name: 'keep', rate: 1, burst: 2 }, { now: clock.now });
    assert.equal(limiter.take('k', 2), true);
    for (let i = 0; i < 5; i++) {
      clock.advance(1_500); // 1.5 tokens back each time, 1 taken
      assert.equal(limiter.take('k'), true);
    }
    assert.equal(limiter.take('k', 2), false, 'tokens carried over, not reset to the burst');
  });

  it('never holds more than twice maxKeys buckets', () => {
    const clock = fakeClock();
    const limiter = new LocalRateLimiter(
      { name: 'cap', rate: 1, burst: 100 },
      { now: clock.now, maxKeys: 50 },
    );
    for (let i = 0; i < 10_000; i++) limiter.take(`key-${i}`);
    assert.ok(limiter.size <= 100, `size ${limiter.size}`);
  });

  it('forget drops a bucket', () => {
    const limiter = new LocalRateLimiter({ name: 'forget', rate: 1, burst: 1 });
    assert.equal(limiter.take('k'), true);
    assert.equal(limiter.take('k'), false);
    limiter.forget('k');
    assert.equal(limiter.size, 0);
    assert.equal(limiter.take('k'), true);
  });

  it('refuses limits that cannot work', () => {
    const make = localRateLimiters();
    assert.throws(() => make({ name: 'zero', rate: 0, burst: 1 }), /rate must be a positive number/);
    assert.throws(() => make({ name: 'tiny', rate: 1, burst: 0 }), /burst must be at least 1/);
  });
});
