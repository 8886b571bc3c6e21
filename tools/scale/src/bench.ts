import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CpuProfile, Reading } from './profile.js';

const BENCH_CLI = fileURLToPath(new URL('../../bench/dist/cli.js', import.meta.url));

/** One figure of the bench's `--json` report. */
interface BenchFigure {
  value: number;
  unit: string;
}

/** What a bench scenario reported, and the CPU readings around its measured phase. */
export interface BenchRun {
  /** Figures by name (`delivery delay p99`, …). */
  figures: Record<string, BenchFigure>;
  notes: string[];
  /** Readings at the start and the end of the measured phase. */
  from: Reading;
  to: Reading;
}

/**
 * Where the measured phase of a scenario starts and ends: the bench prints `<label>: …` on
 * stderr when it finishes a phase (tools/bench's progress lines), so `start` is the label of the
 * phase before the measured one and `end` the measured phase's own (undefined: the process exit).
 */
export interface Phase {
  start: string;
  end?: string;
}

/**
 * Runs `node tools/bench/dist/cli.js <args> --json …` in the root namespace (the bench talks
 * only to loopback addresses: HAProxy and Postgres listen there), forwards its progress lines to
 * `progress`, and samples `profile` at the phase marks. The load generator's own CPU is tracked
 * under the label `load generator` (it shares the machine's cores with every "host").
 */
export async function runBench(
  args: readonly string[],
  phase: Phase,
  profile: CpuProfile,
  setLoadGenerator: (pid: number | undefined) => void,
  progress: (line: string) => void,
): Promise<BenchRun> {
  const dir = mkdtempSync(join(tmpdir(), 'nrelay-scale-bench-'));
  const jsonPath = join(dir, 'out.json');
  try {
    const child = spawn(process.execPath, [BENCH_CLI, ...args, '--json', jsonPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    setLoadGenerator(child.pid);
    let from: Promise<Reading> | undefined;
    let to: Promise<Reading> | undefined;
    const tail: string[] = [];
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        progress(line);
        if (from === undefined && line.startsWith(`${phase.start}:`)) from = profile.read();
        else if (from !== undefined && to === undefined && phase.end && line.startsWith(`${phase.end}:`))
          to = profile.read();
      }
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => {
        // Read the end mark before the child is gone from /proc (its CPU counts then).
        resolve(c);
      });
    });
    to ??= profile.read();
    setLoadGenerator(undefined);
    if (code !== 0) throw new Error(`bench ${args[0]} exited with ${code}:\n${tail.join('\n')}`);
    if (from === undefined) throw new Error(`bench ${args[0]} never printed "${phase.start}:"`);
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      results: Array<{ results: Record<string, BenchFigure>; notes: string[] }>;
    };
    const result = report.results[0];
    if (!result) throw new Error(`bench ${args[0]} wrote no result`);
    return { figures: result.results, notes: result.notes, from: await from, to: await to };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A figure's value; throws naming it when the bench did not report it. */
export function fig(run: BenchRun, name: string): number {
  const f = run.figures[name];
  if (f === undefined) throw new Error(`the bench reported no "${name}"`);
  return f.value;
}
