import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScenarioResult } from './report.js';
import {
  checkTargets,
  formatTargets,
  ISSUE_6_TARGETS,
  ISSUE_12_TARGETS,
  type Target,
  targetsMarkdown,
} from './targets.js';

const result = (scenario: string, figures: Record<string, number>): ScenarioResult => ({
  scenario,
  params: {},
  figures: Object.entries(figures).map(([figure, value]) => ({ figure, value, unit: 'x' })),
  notes: [],
});

const atMost: Target = { label: 'p99', scenario: 'a', figure: 'p99', kind: 'max', bound: 10, unit: 'ms' };
const atLeast: Target = { label: 'rate', scenario: 'a', figure: 'rate', kind: 'min', bound: 100, unit: '/s' };

test('a max target is met up to its bound, a min target from its bound', () => {
  const met = (figures: Record<string, number>, t: Target) =>
    checkTargets([result('a', figures)], [t])[0]?.met;
  assert.equal(met({ p99: 10 }, atMost), true);
  assert.equal(met({ p99: 10.01 }, atMost), false);
  assert.equal(met({ rate: 100 }, atLeast), true);
  assert.equal(met({ rate: 99.9 }, atLeast), false);
});

test('a figure without samples (NaN) is not met; a missing figure or scenario is not measured', () => {
  const [nan] = checkTargets([result('a', { p99: Number.NaN })], [atMost]);
  assert.equal(nan?.met, false);
  const [noFigure, noScenario] = checkTargets(
    [result('a', { other: 1 })],
    [atMost, { ...atLeast, scenario: 'b' }],
  );
  assert.equal(noFigure?.met, undefined);
  assert.equal(noFigure?.measured, undefined);
  assert.equal(noScenario?.met, undefined);
});

test('the summary shows measured, bound and verdict for each target, and counts the met ones', () => {
  const checks = checkTargets([result('a', { p99: 4.5, rate: 50 })], [atMost, atLeast]);
  const md = targetsMarkdown(checks).join('\n');
  assert.match(md, /^1 of 2 targets met\./);
  assert.match(md, /\| p99 \| 4\.50 ms \| ≤ 10 ms \| yes \|/);
  assert.match(md, /\| rate \| 50 \/s \| ≥ 100 \/s \| NO \|/);
  const text = formatTargets(checkTargets([], [atMost]));
  assert.match(text, /p99\s+-\s+≤ 10 ms\s+not measured/);
});

test('the issue-6 targets cover every REQ shape, both fan-outs, idle, matching and stream', () => {
  const scenarios = new Set(ISSUE_6_TARGETS.map((t) => t.scenario));
  for (const s of ['ingest', 'req', 'fanout all', 'fanout author', 'idle', 'match', 'stream'])
    assert.ok(scenarios.has(s), s);
  assert.equal(
    ISSUE_6_TARGETS.filter((t) => t.scenario === 'req' && t.figure.endsWith('EOSE p99')).length,
    5,
  );
  const labels = ISSUE_6_TARGETS.map((t) => t.label);
  assert.equal(new Set(labels).size, labels.length, 'labels are unique');
});

test('the issue-12 targets: every shape, cluster and embedded, at strfry’s figures; ingest 2× and 1× strfry', () => {
  for (const scenario of ['reads', 'reads embedded']) {
    const rows = ISSUE_12_TARGETS.filter((t) => t.scenario === scenario);
    assert.equal(rows.length, 10, scenario);
    const a = rows.find((t) => t.figure === '(a) rate');
    assert.deepEqual([a?.kind, a?.bound], ['min', 1013]);
    const e = rows.find((t) => t.figure === '(e) EOSE p50');
    assert.deepEqual([e?.kind, e?.bound], ['max', 11.7]);
    assert.ok(rows.every((t) => t.label.includes('strfry')));
  }
  const ingest = (s: string) => ISSUE_12_TARGETS.find((t) => t.scenario === s)?.bound;
  assert.equal(ingest('ingest'), 5076);
  assert.equal(ingest('ingest embedded'), 2538);
  const labels = ISSUE_12_TARGETS.map((t) => t.label);
  assert.equal(new Set(labels).size, labels.length, 'labels are unique');
});
