import type { Machine } from './machine.js';
import { machineLine } from './machine.js';
import type { Summary } from './stats.js';

/** One measured figure of a scenario. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
}

/** What a scenario measured, with the parameters it ran with. */
export interface ScenarioResult {
  scenario: string;
  params: Record<string, string | number | boolean>;
  figures: Figure[];
  /** Caveats a reader needs (capped limits, missing --pid, …). */
  notes: string[];
}

/** The `--json` document. */
export interface JsonReport {
  machine: Machine;
  startedAt: string;
  results: Array<{
    scenario: string;
    params: ScenarioResult['params'];
    results: Record<string, Figure>;
    notes: string[];
  }>;
}

/** Figures for the p50/p90/p99 of a latency summary, named `<name> p50` etc. */
export function latencyFigures(name: string, s: Summary, unit = 'ms'): Figure[] {
  return [
    { figure: `${name} p50`, value: s.p50, unit },
    { figure: `${name} p90`, value: s.p90, unit },
    { figure: `${name} p99`, value: s.p99, unit },
  ];
}

/** Looks a figure up by name; throws if the scenario did not produce it. */
export function figureValue(result: ScenarioResult, name: string): number {
  const f = result.figures.find((x) => x.figure === name);
  if (!f) throw new Error(`${result.scenario} has no figure "${name}"`);
  return f.value;
}

/** A number as the tables show it: integers plain, small values with 2–3 significant decimals. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '-' : String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function rows(results: readonly ScenarioResult[]): string[][] {
  return results.flatMap((r) => r.figures.map((f) => [r.scenario, f.figure, formatValue(f.value), f.unit]));
}

/** A plain-text table with columns scenario, figure, value, unit; notes follow it. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'figure', 'value', 'unit'];
  const body = rows(results);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  for (const r of results) for (const n of r.notes) out.push(`note (${r.scenario}): ${n}`);
  return `${out.join('\n')}\n`;
}

/** The `--json` document for `results`. */
export function jsonReport(
  machine: Machine,
  startedAt: Date,
  results: readonly ScenarioResult[],
): JsonReport {
  return {
    machine,
    startedAt: startedAt.toISOString(),
    results: results.map((r) => ({
      scenario: r.scenario,
      params: r.params,
      results: Object.fromEntries(r.figures.map((f) => [f.figure, f])),
      notes: r.notes,
    })),
  };
}

/**
 * A Markdown page: machine, the `summary` lines (e.g. targets), then one table per scenario
 * with its parameters and notes.
 */
export function markdownReport(
  title: string,
  intro: readonly string[],
  machine: Machine,
  startedAt: Date,
  results: readonly ScenarioResult[],
  summary: readonly string[] = [],
): string {
  const out = [`# ${title}`, '', ...intro, ''];
  out.push(`Measured ${startedAt.toISOString()} on ${machineLine(machine)}.`, '', ...summary);
  for (const r of results) {
    out.push(`## ${r.scenario}`, '');
    const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`);
    if (params.length > 0) out.push(`Parameters: \`${params.join(' ')}\``, '');
    out.push('| figure | value | unit |', '|---|---:|---|');
    for (const f of r.figures) out.push(`| ${f.figure} | ${formatValue(f.value)} | ${f.unit} |`);
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
    if (r.notes.length > 0) out.push('');
  }
  return out.join('\n');
}
