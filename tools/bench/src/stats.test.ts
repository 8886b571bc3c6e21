import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, perSecond, SampleBuffer, summarize } from './stats.js';

test('nearest-rank percentiles of 1..100 are the ranks themselves', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0), 1);
  assert.equal(percentile(sorted, 1), 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 90), 90);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 99.5), 100);
  assert.equal(percentile(sorted, 100), 100);
});

test('percentiles of small sets pick an actual sample, never interpolate', () => {
  assert.equal(percentile([7], 50), 7);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([1, 2], 50), 1);
  assert.equal(percentile([1, 2], 51), 2);
  assert.equal(percentile([1, 2, 3, 4, 5], 90), 5);
  assert.equal(percentile([1, 2, 3, 4, 5], 80), 4);
});

test('empty input gives NaN and out-of-range p throws', () => {
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], -1), RangeError);
  assert.throws(() => percentile([1], Number.NaN), RangeError);
  const s = summarize([]);
  assert.equal(s.count, 0);
  assert.ok(Number.isNaN(s.p50));
});

test('summarize sorts numerically, not as strings, and leaves its input alone', () => {
  const input = [10, 9, 100, 1, 20];
  const s = summarize(input);
  assert.deepEqual(input, [10, 9, 100, 1, 20]);
  assert.equal(s.min, 1);
  assert.equal(s.max, 100);
  assert.equal(s.p50, 10);
  assert.equal(s.mean, 28);
  assert.equal(s.count, 5);
});

test('summarize agrees with a naive sort on random samples', () => {
  let x = 12345;
  const rand = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  for (let round = 0; round < 50; round++) {
    const n = 1 + Math.floor(rand() * 500);
    const samples = Array.from({ length: n }, () => rand() * 1000);
    const sorted = [...samples].sort((a, b) => a - b);
    const s = summarize(samples);
    for (const [p, got] of [
      [50, s.p50],
      [90, s.p90],
      [99, s.p99],
    ] as const) {
      const expected = sorted[Math.max(1, Math.ceil((p / 100) * n)) - 1];
      assert.equal(got, expected, `p${p} of ${n} samples`);
      // Nearest rank: at least p% of samples are <= the answer, fewer than p% are below it.
      assert.ok(sorted.filter((v) => v <= got).length >= (p / 100) * n);
      assert.ok(sorted.filter((v) => v < got).length < (p / 100) * n);
    }
  }
});

test('SampleBuffer grows past its initial capacity and keeps every sample', () => {
  const buf = new SampleBuffer();
  for (let i = 0; i < 5000; i++) buf.push(5000 - i);
  assert.equal(buf.length, 5000);
  const s = buf.summary();
  assert.equal(s.min, 1);
  assert.equal(s.max, 5000);
  assert.equal(s.p50, 2500);
});

test('perSecond converts a count over milliseconds', () => {
  assert.equal(perSecond(500, 250), 2000);
  assert.equal(perSecond(5, 0), 0);
});
