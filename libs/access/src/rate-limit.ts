/**
 * Token buckets: each key owns a bucket of at most `burst` tokens refilled at `rate` tokens per
 * second; a request takes tokens or is refused. Buckets are refilled lazily on use (no timers),
 * so a take is O(1) whatever the number of keys.
 */

/** One limit: `rate` tokens per second refill each key's bucket, which holds at most `burst`. */
export interface RateLimitSpec {
  /** Names the limit (e.g. `events-ip`); buckets of different limits never share a key. */
  readonly name: string;
  /** Tokens added per second; must be > 0. */
  readonly rate: number;
  /** Bucket capacity: the most a key can take at once after being idle; must be >= 1. */
  readonly burst: number;
}

/**
 * A family of token buckets, one per key. `take` is synchronous for in-process buckets and
 * returns a promise for shared (Redis) ones.
 */
export interface RateLimiter {
  /** Takes `cost` (default 1) tokens from `key`'s bucket: true if it held enough, else false and nothing is taken. */
  take(key: string, cost?: number): boolean | Promise<boolean>;
}

/** Builds the limiter of one limit; local (in-process) or shared (Redis) depending on the deployment. */
export type RateLimiterFactory = (spec: RateLimitSpec) => RateLimiter;

/**
 * Milliseconds after which an untouched bucket is full again. Forgetting a bucket idle for this
 * long (evicting it, or letting its Redis key expire) therefore changes no answer.
 */
export function fullRefillMs(spec: RateLimitSpec): number {
  return Math.ceil((spec.burst / spec.rate) * 1000);
}

/** Throws a clear error for a limit that can never be satisfied or never refills. */
export function checkRateLimitSpec(spec: RateLimitSpec): void {
  if (!(spec.rate > 0) || !Number.isFinite(spec.rate)) {
    throw new RangeError(`rate limit ${spec.name}: rate must be a positive number, got ${spec.rate}`);
  }
  if (!(spec.burst >= 1) || !Number.isFinite(spec.burst)) {
    throw new RangeError(`rate limit ${spec.name}: burst must be at least 1, got ${spec.burst}`);
  }
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
}

/** Options of {@link LocalRateLimiter}. */
export interface LocalRateLimiterOptions {
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Keys held per generation before an early eviction (default 100 000; memory <= 2x this). */
  maxKeys?: number;
}

/** Default bound on the keys one local limiter holds per generation. */
export const DEFAULT_MAX_KEYS = 100_000;

/**
 * In-process token buckets with bounded memory. Buckets live in two generations: every
 * full-refill period the current generation becomes the previous one and the old previous one
 * is dropped; a bucket used again moves back to the current one. A dropped bucket was idle for a
 * whole period, so it was full anyway: eviction is exact. When a generation reaches `maxKeys`
 * it turns over early, which may forget (i.e. refill) some buckets: under a flood of keys,
 * bounded memory wins over exactness.
 */
export class LocalRateLimiter implements RateLimiter {
  private current = new Map<string, Bucket>();
  private previous = new Map<string, Bucket>();
  private turnedAt: number;
  private readonly period: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(
    readonly spec: RateLimitSpec,
    options: LocalRateLimiterOptions = {},
  ) {
    checkRateLimitSpec(spec);
    this.rate = spec.rate / 1000;
    this.burst = spec.burst;
    this.period = Math.max(1000, fullRefillMs(spec));
    this.now = options.now ?? Date.now;
    this.maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MAX_KEYS);
    this.turnedAt = this.now();
  }

  /** Buckets held in memory (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  take(key: string, cost = 1): boolean {
    const now = this.now();
    if (now - this.turnedAt >= this.period) this.turnOver(now);
    let bucket = this.current.get(key);
    if (bucket === undefined) {
      bucket = this.previous.get(key);
      if (bucket === undefined) bucket = { tokens: this.burst, at: now };
      else this.previous.delete(key);
      if (this.current.size >= this.maxKeys) this.turnOver(now);
      this.current.set(key, bucket);
    }
    const elapsed = now - bucket.at;
    let tokens = bucket.tokens;
    if (elapsed > 0) {
      tokens = Math.min(this.burst, tokens + elapsed * this.rate);
      bucket.at = now;
    }
    if (tokens < cost) {
      bucket.tokens = tokens;
      return false;
    }
    bucket.tokens = tokens - cost;
    return true;
  }

  /** Drops `key`'s bucket (e.g. when its connection closes). */
  forget(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  private turnOver(now: number): void {
    // Idle for two periods: the current generation is all full buckets too.
    this.previous = now - this.turnedAt >= 2 * this.period ? new Map() : this.current;
    this.current = new Map();
    this.turnedAt = now;
  }
}

/** A {@link RateLimiterFactory} of in-process limiters (standalone, and per-connection limits). */
export function localRateLimiters(options: LocalRateLimiterOptions = {}): RateLimiterFactory {
  return (spec) => new LocalRateLimiter(spec, options);
}
