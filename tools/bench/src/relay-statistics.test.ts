import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Counters,
  RELAY_ANALYZE_POLICY,
  statisticsState,
  type TableCounters,
} from './relay-statistics.js';

const table = (t: Partial<TableCounters>): TableCounters => ({
  inserted: 0,
  rows: 0,
  changedSinceAnalyze: 0,
  lastAnalyzedMs: undefined,
  ...t,
});
const END = 1_000_000;
const state = (before: Counters, after: Counters, inserted = 20_000) =>
  statisticsState(before, after, inserted, END, RELAY_ANALYZE_POLICY);

test('until the inserts are counted nothing is decided', () => {
  const before = { events: table({ inserted: 100 }) };
  assert.equal(state(before, { events: table({ inserted: 19_000, rows: 19_100 }) }), 'counting');
  assert.equal(state(before, {}), 'counting');
});

test('a table changed past the threshold is stale until analyzed after the seed', () => {
  const before = { events: table({ inserted: 0 }) };
  const changed = table({ inserted: 20_000, rows: 20_000, changedSinceAnalyze: 20_000 });
  assert.equal(state(before, { events: changed }), 'stale');
  assert.equal(state(before, { events: { ...changed, lastAnalyzedMs: END - 1 } }), 'stale');
  assert.equal(
    state(before, { events: { ...changed, changedSinceAnalyze: 0, lastAnalyzedMs: END + 5 } }),
    'kept',
  );
  // event_tags counts too.
  const tags = table({ rows: 60_000, changedSinceAnalyze: 60_000 });
  const analyzedEvents = { ...changed, changedSinceAnalyze: 0, lastAnalyzedMs: END + 5 };
  assert.equal(state(before, { events: analyzedEvents, event_tags: tags }), 'stale');
});

test('changes below the relay threshold (1000 + 10 % of rows) are the state the relay keeps', () => {
  const before = { events: table({ inserted: 1_000_000 }) };
  // 20,000 new rows on a 1,020,000-row table: below 1000 + 102,000.
  const after = table({
    inserted: 1_020_000,
    rows: 1_020_000,
    changedSinceAnalyze: 20_000,
    lastAnalyzedMs: 5,
  });
  assert.equal(state(before, { events: after }), 'kept');
  assert.equal(state(before, { events: { ...after, changedSinceAnalyze: 103_000 } }), 'stale');
});
