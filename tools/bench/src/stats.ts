/** Percentile math for latency samples. Times are milliseconds unless a name says otherwise. */

/** Count, extremes, mean and the percentiles every scenario reports. All NaN when empty. */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The nearest-rank percentile of ascending `sorted`: the smallest sample such that at least
 * `p` percent of the samples are less than or equal to it. `p` = 0 gives the minimum; NaN when
 * there are no samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1] as number;
}

/** Summarises unsorted samples (the input is not modified). */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) {
    const nan = Number.NaN;
    return { count: 0, min: nan, mean: nan, p50: nan, p90: nan, p99: nan, max: nan };
  }
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    min: sorted[0] as number,
    mean: sum / n,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[n - 1] as number,
  };
}

/**
 * An append-only list of samples in a growable Float64Array: the fan-out scenario records
 * hundreds of thousands of delivery delays, which as a plain array would cost 4x the memory.
 */
export class SampleBuffer {
  private data = new Float64Array(1024);
  private size = 0;

  /** Number of samples recorded. */
  get length(): number {
    return this.size;
  }

  /** Records one sample. */
  push(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  /** The samples recorded so far (a view, valid until the next push). */
  values(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  /** Summary of the samples recorded so far. */
  summary(): Summary {
    return summarize(this.values());
  }
}

/** `count` per `ms` milliseconds, expressed per second; 0 when no time passed. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}
