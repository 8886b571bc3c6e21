#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Args } from './args.js';
import { loopbackDatabaseUrl, loopbackRelayUrl } from './loopback.js';
import { describeMachine } from './machine.js';
import { Progress, type ProgressSink } from './progress.js';
import { formatTable, jsonReport, markdownReport, type ScenarioResult } from './report.js';
import { EmbeddedRelay, embeddedSteps, type Plan, steps } from './standard-steps.js';
import {
  checkTargets,
  formatTargets,
  ISSUE_6_TARGETS,
  ISSUE_12_TARGETS,
  type TargetCheck,
  targetsMarkdown,
} from './targets.js';

/**
 * The standard benchmark set of issues 6 and 12, written as Markdown (docs/benchmarks.md) with
 * each target next to its figure. Starting and stopping the relay under test is the caller's
 * job (`npm run bench`); with --embedded this starts and stops an embedded relay for its steps.
 */

const USAGE = `usage: node tools/bench/dist/standard.js --url ws://127.0.0.1:7777 [--gateway-url …] [--pub-url …] [--sub-url …]
       [--pids <pid>] [--database-url postgres://…@127.0.0.1/db] [--embedded] [--stats-check-seconds 10]
       [--label "standalone, PGlite"] [--quick] --out docs/benchmarks.md [--json out.json]
--url: seed, req and stream (a cluster's load balancer); --gateway-url: reads and ingest (a gateway's own port;
default --url); --pub-url / --sub-url: fan-out publisher and subscribers (two gateways' own ports); --pids: the
process --sub-url reaches, whose memory idle measures.
--database-url seeds 1,000,000 events straight into Postgres (20,000 over WebSocket without it), and is where
reads waits for the relay's own ANALYZE after seeding its data set (without it: 2 × --stats-check-seconds).
--redis-url / --redis-prefix: the cluster's Redis and REDIS_PREFIX, where a seeding straight into Postgres is
announced (an \`events\` change: the gateways' hot windows re-warm; the seed step waits for them).
--embedded: reads and ingest again on apps/standalone/dist/main.js (PGlite, fresh temp DATA_DIR, own port,
STATS_CHECK_SECONDS = --stats-check-seconds, the relays' setting).
--quick uses tiny counts (a check that the set runs, not a measurement).`;

type Step = ReturnType<typeof steps>[number];

/** Runs each step, printing its table; a failed step is reported, not fatal. */
async function runSteps(list: readonly Step[], progress: ProgressSink) {
  const results: ScenarioResult[] = [];
  let failures = 0;
  for (const step of list) {
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
  return { results, failures };
}

function readPlan(args: Args): Plan {
  const url = loopbackRelayUrl(args.str('url', 'ws://127.0.0.1:7777'));
  const databaseUrl = args.str('database-url');
  const redisUrl = args.str('redis-url');
  return {
    url,
    gatewayUrl: loopbackRelayUrl(args.str('gateway-url', url), '--gateway-url'),
    pubUrl: loopbackRelayUrl(args.str('pub-url', url), '--pub-url'),
    subUrl: loopbackRelayUrl(args.str('sub-url', url), '--sub-url'),
    pids: args.pids(),
    databaseUrl: databaseUrl === undefined ? undefined : loopbackDatabaseUrl(databaseUrl),
    announce:
      redisUrl === undefined
        ? undefined
        : { target: { kind: 'single', url: redisUrl }, prefix: args.str('redis-prefix', 'nrelay') },
    embedded: args.bool('embedded'),
    statsCheckSeconds: args.int('stats-check-seconds', 10),
    quick: args.bool('quick'),
  };
}

const targetRows = (checks: readonly TargetCheck[]) =>
  checks.map((c) => ({ ...c.target, measured: c.measured ?? null, met: c.met ?? null }));

async function main(argv: readonly string[]): Promise<number> {
  const args = Args.parse(argv);
  const out = args.str('out');
  if (args.bool('help') || out === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return args.bool('help') ? 0 : 2;
  }
  const plan = readPlan(args);
  const progress = args.bool('quiet') ? Progress.silent : new Progress();
  const startedAt = new Date();
  const embedded = new EmbeddedRelay(plan.statsCheckSeconds);
  let run: Awaited<ReturnType<typeof runSteps>>;
  try {
    run = await runSteps([...steps(plan), ...(plan.embedded ? embeddedSteps(plan, embedded) : [])], progress);
  } finally {
    await embedded.stop();
  }
  const { results, failures } = run;
  const machine = describeMachine();
  const label = args.str('label', 'relay under test');
  const checks6 = checkTargets(results, ISSUE_6_TARGETS);
  const checks12 = checkTargets(results, ISSUE_12_TARGETS);
  const intro = [
    `Relay: ${label}.`,
    '',
    `- seed, REQ and stream: \`${plan.url}\``,
    `- reads (issue 12) and ingest: \`${plan.gatewayUrl}\``,
    `- fan-out: published on \`${plan.pubUrl}\`, delivered on \`${plan.subUrl}\``,
    `- idle connections: \`${plan.subUrl}\`, memory of pid ${plan.pids.join(', ') || '(none given)'}`,
    ...(plan.embedded
      ? [
          `- reads embedded and ingest embedded: \`node apps/standalone/dist/main.js\` (PGlite, fresh DATA_DIR, STATS_CHECK_SECONDS=${plan.statsCheckSeconds})`,
        ]
      : []),
    '',
    'Generated by `npm run bench` (`node tools/bench/dist/standard.js`); each scenario is described in',
    '`node tools/bench/dist/cli.js --help` and tools/bench/README.md. The benchmark client runs on the',
    'same machine as the relay and competes with it for CPU; latencies include the client’s own',
    'event-loop time. The profiles behind these figures, and why each missed target is missed,',
    'are in docs/performance.md (written by hand). The issue-12 bounds are strfry’s figures from',
    'that issue’s table: strfry does not run here.',
    plan.quick ? '\n**Quick run: tiny counts, not a measurement.**' : '',
  ];
  const summary = [
    '## Targets (issue 6)',
    '',
    ...targetsMarkdown(checks6),
    '## Targets (issue 12)',
    '',
    ...targetsMarkdown(checks12),
  ];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdownReport('Benchmarks', intro, machine, startedAt, results, summary));
  const jsonPath = args.str('json');
  if (jsonPath !== undefined) {
    const targets = [
      ...targetRows(checks6).map((t) => ({ ...t, issue: 6 })),
      ...targetRows(checks12).map((t) => ({ ...t, issue: 12 })),
    ];
    const doc = { ...jsonReport(machine, startedAt, results), targets };
    writeFileSync(jsonPath, `${JSON.stringify(doc, null, 2)}\n`);
  }
  process.stdout.write(
    `Targets (issue 6)\n${formatTargets(checks6)}\nTargets (issue 12)\n${formatTargets(checks12)}`,
  );
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
