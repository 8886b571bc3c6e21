import { formatValue, type ScenarioResult } from './report.js';
import { READS_SHAPES } from './scenarios/reads.js';
import { REQ_SHAPES } from './scenarios/req.js';

/** A bound on one figure of one scenario of the standard set. */
export interface Target {
  /** How the summary names it. */
  label: string;
  scenario: string;
  figure: string;
  /** `max`: the figure must not exceed `bound`; `min`: it must reach it. */
  kind: 'max' | 'min';
  bound: number;
  unit: string;
}

/** A target next to what was measured; `met` is undefined when the figure is missing. */
export interface TargetCheck {
  target: Target;
  measured: number | undefined;
  met: boolean | undefined;
}

const max = (label: string, scenario: string, figure: string, bound: number, unit: string): Target => ({
  label,
  scenario,
  figure,
  kind: 'max',
  bound,
  unit,
});
const min = (label: string, scenario: string, figure: string, bound: number, unit: string): Target => ({
  label,
  scenario,
  figure,
  kind: 'min',
  bound,
  unit,
});

/** The targets of issue 6, on the scenario names standard.js gives its steps. */
export const ISSUE_6_TARGETS: readonly Target[] = [
  min('ingest: durable events/s', 'ingest', 'durable ingest', 7000, 'events/s'),
  max('ingest: OK latency p99', 'ingest', 'OK latency p99', 50, 'ms'),
  ...REQ_SHAPES.flatMap((s) => [
    max(`REQ ${s.name}: EOSE p50`, 'req', `${s.name} EOSE p50`, 2.5, 'ms'),
    max(`REQ ${s.name}: EOSE p99`, 'req', `${s.name} EOSE p99`, 10, 'ms'),
  ]),
  min('REQ kinds1-limit100: queries/s', 'req', 'kinds1-limit100 rate', 1700, 'queries/s'),
  max('fanout, all match: delivery p99', 'fanout all', 'delivery delay p99', 100, 'ms'),
  max('fanout, all match: missing', 'fanout all', 'missing', 0, 'events'),
  max('fanout, all match: duplicates', 'fanout all', 'duplicates', 0, 'events'),
  max('fanout, all match: publisher OK p99', 'fanout all', 'publisher OK latency p99', 50, 'ms'),
  max('fanout, one author: delivery p99', 'fanout author', 'delivery delay p99', 10, 'ms'),
  max('fanout, one author: missing', 'fanout author', 'missing', 0, 'events'),
  max('fanout, one author: duplicates', 'fanout author', 'duplicates', 0, 'events'),
  max('idle: RSS per connection', 'idle', 'RSS per connection', 16, 'KiB'),
  max('live matching: 100k ÷ 1k subscriptions', 'match', 'match ratio', 2, '×'),
  min('stream: events/s', 'stream', 'stream rate', 50_000, 'events/s'),
];

/** strfry's figures in issue 12's table (queries/s; p50 ms), measured there, not here. */
const STRFRY_READS: Readonly<Record<string, readonly [number, number]>> = {
  '(a)': [1013, 3.5],
  '(b)': [915, 4.0],
  '(c)': [1764, 2.0],
  '(d)': [3415, 1.0],
  '(e)': [324, 11.7],
};
/** strfry's durable ingest in issue 12's table, events/s. */
const STRFRY_INGEST = 2538;

/**
 * The targets of issue 12: every read shape at strfry's queries/s and p50 or better, in the
 * cluster (`reads`) and embedded (`reads embedded`); durable ingest ≥ 2 × strfry in the cluster
 * and ≥ strfry embedded. No strfry runs here: the bounds are its figures from the issue's table.
 */
export const ISSUE_12_TARGETS: readonly Target[] = [
  ...(['cluster', 'embedded'] as const).flatMap((mode) => {
    const scenario = mode === 'cluster' ? 'reads' : 'reads embedded';
    return READS_SHAPES.flatMap(([name, filter]) => {
      const [rate, p50] = STRFRY_READS[name] ?? [Number.NaN, Number.NaN];
      return [
        min(
          `${mode} REQ ${name} ${filter}: queries/s ≥ strfry (issue 12 table)`,
          scenario,
          `${name} rate`,
          rate,
          'queries/s',
        ),
        max(
          `${mode} REQ ${name}: EOSE p50 ≤ strfry (issue 12 table)`,
          scenario,
          `${name} EOSE p50`,
          p50,
          'ms',
        ),
      ];
    });
  }),
  min(
    'cluster ingest: durable events/s ≥ 2 × strfry (2 × 2,538)',
    'ingest',
    'durable ingest',
    2 * STRFRY_INGEST,
    'events/s',
  ),
  min(
    'embedded ingest: durable events/s ≥ strfry (2,538)',
    'ingest embedded',
    'durable ingest',
    STRFRY_INGEST,
    'events/s',
  ),
];

/** Compares each target with its figure in `results` (NaN, e.g. no samples, is not met). */
export function checkTargets(results: readonly ScenarioResult[], targets: readonly Target[]): TargetCheck[] {
  return targets.map((target) => {
    const measured = results
      .find((r) => r.scenario === target.scenario)
      ?.figures.find((f) => f.figure === target.figure)?.value;
    if (measured === undefined) return { target, measured, met: undefined };
    const met = target.kind === 'max' ? measured <= target.bound : measured >= target.bound;
    return { target, measured, met };
  });
}

/** `≤ 50 ms`, `≥ 7000 events/s`. */
function boundText(t: Target): string {
  return `${t.kind === 'max' ? '≤' : '≥'} ${formatValue(t.bound)} ${t.unit}`;
}

function verdict(c: TargetCheck): string {
  return c.met === undefined ? 'not measured' : c.met ? 'yes' : 'NO';
}

/** The rows of the summary: figure, measured, target, met. */
function summaryRows(checks: readonly TargetCheck[]): string[][] {
  return checks.map((c) => [
    c.target.label,
    c.measured === undefined ? '-' : `${formatValue(c.measured)} ${c.target.unit}`,
    boundText(c.target),
    verdict(c),
  ]);
}

/** A Markdown table: figure | measured | target | met?, and a count of targets met. */
export function targetsMarkdown(checks: readonly TargetCheck[]): string[] {
  const met = checks.filter((c) => c.met === true).length;
  return [
    `${met} of ${checks.length} targets met.`,
    '',
    '| figure | measured | target | met? |',
    '|---|---:|---|---|',
    ...summaryRows(checks).map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

/** The same summary as plain text for the terminal. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  const header = ['target', 'measured', 'bound', 'met'];
  const body = summaryRows(checks);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')}\n`;
}
