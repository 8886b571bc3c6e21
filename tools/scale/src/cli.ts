#!/usr/bin/env node
/**
 * `npm run scale [-- --quick] [--out docs/scaling.md] [--cleanup-stale] [--verbose]`: the scaling
 * sweep on namespaces (root needed). Writes the report, the plot (.svg) and the raw figures
 * (.json) beside it. Progress on stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupStale } from './leftovers.js';
import { machineFacts } from './machine.js';
import { runSweep } from './measure.js';
import { renderPlot } from './plot.js';
import { dropStaleClusters } from './postgres.js';
import { renderMarkdown } from './report.js';
import { PLANS } from './sweep.js';

const USAGE = `usage: node tools/scale/dist/cli.js [--quick] [--out docs/scaling.md] [--verbose]
       node tools/scale/dist/cli.js --cleanup-stale
Runs as root (ip netns, pg_createcluster). --quick: a smaller sweep (≤ 3 min).
Writes <out>, <out without .md>.svg and .json.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'docs/scaling.md' },
      'cleanup-stale': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(`scale: needs root (network namespaces, a Postgres cluster of its own)\n${USAGE}\n`);
    return 2;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const stale = [...(await cleanupStale()), ...(await dropStaleClusters())];
  if (stale.length > 0) say(`removed leftovers of crashed runs: ${[...new Set(stale)].join(', ')}`);
  if (values['cleanup-stale']) {
    if (stale.length === 0) say('nothing stale');
    return 0;
  }
  const mode = values.quick ? 'quick' : 'full';
  const started = new Date();
  const machine = await machineFacts();
  say(`scale: ${mode} sweep on ${machine.cpus} × ${machine.cpuModel}, load average ${machine.loadAverage}`);
  const log = values.verbose ? (name: string, line: string) => say(`[${name}] ${line}`) : undefined;
  const result = await runSweep(PLANS[mode], say, log);
  const minutes = (Date.now() - started.getTime()) / 60_000;
  const base = values.out.replace(/\.md$/, '');
  mkdirSync(dirname(values.out), { recursive: true });
  const svgPath = `${base}.svg`;
  const jsonPath = `${base}.json`;
  writeFileSync(svgPath, await renderPlot(result));
  writeFileSync(
    jsonPath,
    `${JSON.stringify({ mode, startedAt: started.toISOString(), minutes, machine, ...result }, null, 2)}\n`,
  );
  writeFileSync(values.out, renderMarkdown({ mode, started, minutes, machine, result, svgPath, jsonPath }));
  say(`wrote ${values.out}, ${svgPath}, ${jsonPath} (${minutes.toFixed(1)} min)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
