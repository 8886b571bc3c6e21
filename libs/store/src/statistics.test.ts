import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maintenanceFor } from './statistics.js';

const policy = { minChanges: 1000, changePercent: 10, vacuum: true };
const table = (rows: number, changed: number, dead: number, inserted = 0) => ({
  table: 'events',
  rows,
  changedSinceAnalyze: changed,
  deadRows: dead,
  insertedSinceVacuum: inserted,
});

test('an empty table is analyzed after minChanges rows', () => {
  assert.equal(maintenanceFor(table(0, 999, 0), policy), undefined);
  assert.equal(maintenanceFor(table(0, 1000, 0), policy), 'analyze');
});

test('the threshold grows with the table: minChanges + percent of rows', () => {
  assert.equal(maintenanceFor(table(1_000_000, 100_999, 0), policy), undefined);
  assert.equal(maintenanceFor(table(1_000_000, 101_000, 0), policy), 'analyze');
});

test('dead rows past the threshold ask for a vacuum, even with few changes since analyze', () => {
  assert.equal(maintenanceFor(table(20_000, 10, 3_000), policy), 'vacuum');
  assert.equal(maintenanceFor(table(20_000, 5_000, 2_999), policy), 'analyze');
});

test('without vacuum (PGlite), dead rows alone ask for nothing and changes still for an analyze', () => {
  const noVacuum = { ...policy, vacuum: false };
  assert.equal(maintenanceFor(table(20_000, 10, 3_000), noVacuum), undefined);
  assert.equal(maintenanceFor(table(20_000, 3_000, 3_000), noVacuum), 'analyze');
});

test('inserts past twice the threshold since the last VACUUM ask for one (pages marked all-visible)', () => {
  assert.equal(maintenanceFor(table(20_000, 0, 0, 5_999), policy), undefined);
  assert.equal(maintenanceFor(table(20_000, 0, 0, 6_000), policy), 'vacuum');
  assert.equal(maintenanceFor(table(20_000, 0, 0, 6_000), { ...policy, vacuum: false }), undefined);
});
