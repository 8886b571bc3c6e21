import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchFilters } from '@nrelay/protocol';
import { buildPopulation, MATCHES_PER_PROBE, minimumPopulation } from './match-population.js';
import { Progress } from './progress.js';
import { runMatch } from './scenarios/match.js';

test('each probe matches exactly 10 subscriptions of the population, by the reference matcher', () => {
  for (const size of [minimumPopulation(20), 3000]) {
    const { subscriptions, probes } = buildPopulation(size, 20, 5);
    assert.equal(subscriptions.length, size);
    assert.equal(probes.length, 20);
    for (const p of probes) {
      assert.equal(subscriptions.filter((f) => matchFilters(f, p)).length, MATCHES_PER_PROBE, p.content);
    }
  }
});

test('the probes are the same whatever the size, and differ with the seed', () => {
  assert.deepEqual(buildPopulation(300, 10, 1).probes, buildPopulation(5000, 10, 1).probes);
  assert.notDeepEqual(buildPopulation(300, 10, 1).probes, buildPopulation(300, 10, 2).probes);
});

test('a population too small for its probes is refused', () => {
  assert.throws(() => buildPopulation(minimumPopulation(10) - 1, 10, 1), /cannot hold 10 probes/);
});

test('match with tiny indexes reports both timings, their ratio and 10 matches per event', async () => {
  const r = await runMatch(
    { baseline: 300, count: 3000, probes: 20, durationSec: 0, seed: 3 },
    Progress.silent,
  );
  const v = (name: string) => r.figures.find((f) => f.figure === name)?.value ?? Number.NaN;
  const small = v('match, 300 subscriptions');
  const large = v('match, 3000 subscriptions');
  assert.ok(small > 0 && large > 0);
  assert.equal(v('match ratio'), large / small);
  assert.equal(v('matches per event'), 10);
  assert.ok(v('timing rounds') >= 3);
  await assert.rejects(
    runMatch({ baseline: 100, count: 3000, probes: 20, durationSec: 0, seed: 3 }, Progress.silent),
    /baseline/,
  );
});
