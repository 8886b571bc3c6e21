import { SubscriptionIndex } from '@nrelay/gateway';
import type { NostrEvent } from '@nrelay/protocol';
import { buildPopulation, MATCHES_PER_PROBE, minimumPopulation } from '../match-population.js';
import type { ProgressSink } from '../progress.js';
import type { Figure, ScenarioResult } from '../report.js';
import { summarize } from '../stats.js';

/** Settings of the `match` scenario. */
export interface MatchOptions {
  /** Subscriptions in the small index. */
  baseline: number;
  /** Subscriptions in the large index. */
  count: number;
  /** Distinct probe events, each matching exactly {@link MATCHES_PER_PROBE} subscriptions. */
  probes: number;
  /** Bound on the timing rounds, seconds (building the indexes comes first). */
  durationSec: number;
  seed: number;
}

/** Default settings of `match`. */
export const MATCH_DEFAULTS = { baseline: 1000, count: 100_000, probes: 50, durationSec: 10 } as const;

/** Each size is timed for about this long per round; sizes alternate, so drift hits both. */
const ROUND_MS = 50;
const MAX_ROUNDS = 40;
const MIN_ROUNDS = 3;

interface Built {
  size: number;
  index: SubscriptionIndex<object>;
  buildMs: number;
  /** Matching calls per timed round, calibrated to about {@link ROUND_MS}. */
  calls: number;
  /** Nanoseconds per matched event, one entry per round. */
  rounds: number[];
}

function build(size: number, probes: number, seed: number): Built {
  const population = buildPopulation(size, probes, seed);
  const t0 = performance.now();
  const index = new SubscriptionIndex<object>();
  for (const filters of population.subscriptions) index.add({}, 's', filters);
  return { size, index, buildMs: performance.now() - t0, calls: 0, rounds: [] };
}

/** Times `calls` match calls over the probes; returns nanoseconds per call. */
function timeRound(index: SubscriptionIndex<object>, probes: readonly NostrEvent[], calls: number): number {
  let matched = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) matched += index.match(probes[i % probes.length] as NostrEvent).length;
  const ns = Number(process.hrtime.bigint() - t0);
  if (matched !== calls * MATCHES_PER_PROBE) throw new Error(`matched ${matched} for ${calls} probes`);
  return ns / calls;
}

/**
 * Live matching cost: the gateway's {@link SubscriptionIndex} filled with `baseline` and with
 * `count` realistic subscriptions, timed on the same probe events (each matching exactly 10
 * subscriptions in both). Reports nanoseconds per matched event (median over rounds that
 * alternate between the two indexes) and the ratio large ÷ small: an inverted index keeps it
 * near 1, a scan over all subscriptions would make it count ÷ baseline.
 */
export async function runMatch(opts: MatchOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const smallest = minimumPopulation(opts.probes);
  if (opts.baseline < smallest || opts.count < opts.baseline) {
    throw new Error(`need ${smallest} ≤ baseline (${opts.baseline}) ≤ count (${opts.count})`);
  }
  progress.start('building indexes', opts.baseline + opts.count);
  const small = build(opts.baseline, opts.probes, opts.seed);
  progress.update(opts.baseline);
  const large = build(opts.count, opts.probes, opts.seed);
  progress.update(opts.baseline + opts.count);
  progress.finish();
  const probes = buildPopulation(smallest, opts.probes, opts.seed).probes;
  for (const b of [small, large]) {
    for (const p of probes) {
      const n = b.index.match(p).length;
      if (n !== MATCHES_PER_PROBE)
        throw new Error(`a probe matched ${n} of ${b.size} subscriptions, not ${MATCHES_PER_PROBE}`);
    }
    // Warm up (JIT), then size a round to about ROUND_MS.
    const ns = timeRound(b.index, probes, 20_000);
    b.calls = Math.max(probes.length, Math.round((ROUND_MS * 1e6) / ns));
  }
  const deadline = performance.now() + opts.durationSec * 1000;
  progress.start('timing', MAX_ROUNDS);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (round >= MIN_ROUNDS && performance.now() >= deadline) break;
    for (const b of round % 2 === 0 ? [small, large] : [large, small])
      b.rounds.push(timeRound(b.index, probes, b.calls));
    progress.update(round + 1);
    // Let the progress line and timers run between rounds.
    await new Promise((resolve) => setImmediate(resolve));
  }
  progress.finish();
  const smallNs = summarize(small.rounds).p50;
  const largeNs = summarize(large.rounds).p50;
  const figures: Figure[] = [
    { figure: `match, ${small.size} subscriptions`, value: smallNs, unit: 'ns/event' },
    { figure: `match, ${large.size} subscriptions`, value: largeNs, unit: 'ns/event' },
    { figure: 'match ratio', value: largeNs / smallNs, unit: '×' },
    { figure: 'matches per event', value: MATCHES_PER_PROBE, unit: 'subscriptions' },
    { figure: `index build, ${large.size} subscriptions`, value: large.buildMs, unit: 'ms' },
    { figure: 'timing rounds', value: small.rounds.length, unit: 'rounds' },
  ];
  return {
    scenario: 'match',
    params: { ...opts },
    figures,
    notes: [
      `median of ${small.rounds.length} rounds per index; each probe event matches ${MATCHES_PER_PROBE} subscriptions in both`,
    ],
  };
}
