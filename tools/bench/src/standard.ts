#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Args } from './args.js';
import { loopbackDatabaseUrl, loopbackRelayUrl } from './loopback.js';
import { describeMachine } from './machine.js';
import { Progress, type ProgressSink } from './progress.js';
import { SETTLE_DEFAULTS } from './relay-memory.js';
import { formatTable, jsonReport, markdownReport, type ScenarioResult } from './report.js';
import { runFanout } from './scenarios/fanout.js';
import { fileLimitAdvice, idleCapacity, runIdle } from './scenarios/idle.js';
import { runIngest } from './scenarios/ingest.js';
import { runMatch } from './scenarios/match.js';
import { runReq } from './scenarios/req.js';
import { runSeed } from './scenarios/seed.js';
import { runStream } from './scenarios/stream.js';
import { checkTargets, formatTargets, ISSUE_6_TARGETS, targetsMarkdown } from './targets.js';

/**
 * The standard benchmark set of issue 6, written as Markdown (docs/benchmarks.md) with each
 * target next to its figure. Starting and stopping the relay is the caller's job (`npm run bench`).
 */

const USAGE = `usage: node tools/bench/dist/standard.js --url ws://127.0.0.1:7777 [--pub-url …] [--sub-url …] [--pids <pid>]
       [--database-url postgres://…@127.0.0.1/db] [--label "standalone, PGlite"] [--quick] --out docs/benchmarks.md [--json out.json]
--url: ingest, seed, req and stream (a cluster's load balancer); --pub-url / --sub-url: fan-out publisher and
subscribers (two gateways' own ports); --pids: the process --sub-url reaches, whose memory idle measures.
--database-url seeds 1,000,000 events straight into Postgres (20,000 over WebSocket without it).
--quick uses tiny counts (a check that the set runs, not a measurement).`;

interface Plan {
  url: string;
  pubUrl: string;
  subUrl: string;
  pids: number[];
  databaseUrl: string | undefined;
  quick: boolean;
}

type Step = { name: string; run(p: ProgressSink): Promise<ScenarioResult> };

/** Idle connections: 10,000, or as many as the open-file limits allow (noted). */
async function idleStep(plan: Plan, p: ProgressSink): Promise<ScenarioResult> {
  const wanted = plan.quick ? 20 : 10_000;
  const count = Math.min(wanted, idleCapacity(plan.pids));
  const settle = plan.quick
    ? { ...SETTLE_DEFAULTS, minMs: 200, maxMs: 2000, intervalMs: 200 }
    : SETTLE_DEFAULTS;
  const r = await runIdle(
    { url: plan.subUrl, count, durationSec: 300, pids: plan.pids, parallel: 100, settle },
    p,
  );
  if (count < wanted)
    r.notes.push(`open-file limits allow only ${count} of ${wanted} connections: ${fileLimitAdvice(wanted)}`);
  return r;
}

function steps(plan: Plan): Step[] {
  const q = (full: number, quick: number): number => (plan.quick ? quick : full);
  const { url, pubUrl, subUrl, databaseUrl } = plan;
  const seed = 1;
  const fanout = { url: pubUrl, subUrl, rate: 200, durationSec: 30, seed } as const;
  return [
    // First, on a gateway that has done nothing yet, so its baseline memory is steady.
    { name: 'idle', run: (p) => idleStep(plan, p) },
    {
      name: 'match',
      run: (p) =>
        runMatch({ baseline: 1000, count: q(100_000, 5000), probes: 50, durationSec: q(10, 1), seed }, p),
    },
    {
      name: 'seed',
      run: (p) =>
        runSeed(
          {
            url,
            databaseUrl,
            count: databaseUrl ? q(1_000_000, 500) : q(20_000, 500),
            durationSec: 1800,
            connections: databaseUrl ? 4 : 8,
            inflight: 64,
            authors: q(3000, 100),
            spanDays: 30,
            sign: false,
            seed,
          },
          p,
        ),
    },
    {
      name: 'req',
      run: (p) => runReq({ url, count: q(2000, 20), durationSec: 20, clients: 4, shapes: [], seed }, p),
    },
    { name: 'stream', run: (p) => runStream({ url, count: q(5000, 200), durationSec: 60 }, p) },
    {
      name: 'ingest',
      run: (p) =>
        runIngest(
          {
            url,
            count: q(40_000, 200),
            durationSec: 60,
            publishers: 8,
            inflight: 16,
            authors: 1000,
            mix: 'notes',
            seed,
          },
          p,
        ),
    },
    {
      name: 'fanout all',
      run: (p) =>
        runFanout(
          {
            ...fanout,
            subscribers: q(500, 10),
            mode: 'all',
            authors: 10,
            count: q(2000, 20),
            baseline: q(1000, 10),
          },
          p,
        ),
    },
    {
      name: 'fanout author',
      run: (p) =>
        runFanout(
          {
            ...fanout,
            subscribers: q(500, 10),
            mode: 'author',
            authors: q(50, 5),
            count: q(2000, 20),
            baseline: 0,
          },
          p,
        ),
    },
  ];
}

async function main(argv: readonly string[]): Promise<number> {
  const args = Args.parse(argv);
  const out = args.str('out');
  if (args.bool('help') || out === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return args.bool('help') ? 0 : 2;
  }
  const url = loopbackRelayUrl(args.str('url', 'ws://127.0.0.1:7777'));
  const databaseUrl = args.str('database-url');
  const plan: Plan = {
    url,
    pubUrl: loopbackRelayUrl(args.str('pub-url', url), '--pub-url'),
    subUrl: loopbackRelayUrl(args.str('sub-url', url), '--sub-url'),
    pids: args.pids(),
    databaseUrl: databaseUrl === undefined ? undefined : loopbackDatabaseUrl(databaseUrl),
    quick: args.bool('quick'),
  };
  const progress = args.bool('quiet') ? Progress.silent : new Progress();
  const startedAt = new Date();
  const results: ScenarioResult[] = [];
  let failures = 0;
  for (const step of steps(plan)) {
    process.stderr.write(`== ${step.name}\n`);
    try {
      const r = { ...(await step.run(progress)), scenario: step.name };
      results.push(r);
      process.stdout.write(`${formatTable([r])}\n`);
    } catch (err) {
      failures++;
      const why = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${step.name} failed: ${why}\n`);
      results.push({ scenario: step.name, params: {}, figures: [], notes: [`FAILED: ${why}`] });
    }
  }
  const machine = describeMachine();
  const label = args.str('label', 'relay under test');
  const checks = checkTargets(results, ISSUE_6_TARGETS);
  const intro = [
    `Relay: ${label}.`,
    '',
    `- ingest, seed, REQ and stream: \`${plan.url}\``,
    `- fan-out: published on \`${plan.pubUrl}\`, delivered on \`${plan.subUrl}\``,
    `- idle connections: \`${plan.subUrl}\`, memory of pid ${plan.pids.join(', ') || '(none given)'}`,
    '',
    'Generated by `npm run bench` (`node tools/bench/dist/standard.js`); each scenario is described in',
    '`node tools/bench/dist/cli.js --help` and tools/bench/README.md. The benchmark client runs on the',
    'same machine as the relay and competes with it for CPU; latencies include the client’s own',
    'event-loop time. The profiles behind these figures, and why each missed target is missed,',
    'are in docs/performance.md (written by hand).',
    plan.quick ? '\n**Quick run: tiny counts, not a measurement.**' : '',
  ];
  const summary = ['## Targets (issue 6)', '', ...targetsMarkdown(checks)];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdownReport('Benchmarks', intro, machine, startedAt, results, summary));
  const jsonPath = args.str('json');
  if (jsonPath !== undefined) {
    const targets = checks.map((c) => ({ ...c.target, measured: c.measured ?? null, met: c.met ?? null }));
    const doc = { ...jsonReport(machine, startedAt, results), targets };
    writeFileSync(jsonPath, `${JSON.stringify(doc, null, 2)}\n`);
  }
  process.stdout.write(formatTargets(checks));
  return failures > 0 ? 1 : 0;
}

// Every step bounds itself; this backstop ends the run if a relay stops answering mid-phase.
const WATCHDOG_MS = 60 * 60 * 1000;
setTimeout(() => {
  process.stderr.write('standard: still running after 60 minutes, giving up\n');
  process.exit(3);
}, WATCHDOG_MS).unref();

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`standard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
