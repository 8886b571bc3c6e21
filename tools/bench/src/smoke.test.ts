import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Progress } from './progress.js';
import { type RelayChild, startStandaloneRelay } from './relay-process.js';
import { figureValue, type ScenarioResult } from './report.js';
import { runFanout } from './scenarios/fanout.js';
import { runIdle } from './scenarios/idle.js';
import { runIngest } from './scenarios/ingest.js';
import { READS_DEFAULTS, READS_SHAPES, runReads } from './scenarios/reads.js';
import { REQ_SHAPES, runReq } from './scenarios/req.js';
import { runSeed } from './scenarios/seed.js';
import { runStream } from './scenarios/stream.js';
import { ISSUE_6_TARGETS, ISSUE_12_TARGETS } from './targets.js';

/** Each test stops by itself even if the relay stops answering. */
const SMOKE_TIMEOUT_MS = 180_000;

// Black-box smoke run: every scenario with tiny counts against a real standalone relay on PGlite
// (direct seeding has its own, seed-direct.test.ts).
const run = promisify(execFile);
const quiet = Progress.silent;
const dist = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
let dataDir = '';
let relay: RelayChild | undefined;
let stored = 0;

function url(): string {
  assert.ok(relay, 'the relay did not start (see the first failure)');
  return relay.url;
}

const v = (r: ScenarioResult, name: string): number => figureValue(r, name);

before(async () => {
  // Fails every test, loudly, when apps/standalone has not been built: smoke tests never skip.
  dataDir = await mkdtemp(join(tmpdir(), 'nrelay-bench-'));
  relay = await startStandaloneRelay({
    PORT: '0',
    DATA_DIR: dataDir,
    RATE_REQS_PER_CONNECTION: '0',
    STATS_CHECK_SECONDS: '1',
  });
});

after(async () => {
  await relay?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('ingest: every event is answered OK true with a positive latency', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  const r = await runIngest(
    { url: url(), count: 50, durationSec: 30, publishers: 2, inflight: 4, authors: 5, mix: 'notes', seed: 1 },
    quiet,
  );
  assert.equal(v(r, 'sent'), 50);
  assert.equal(v(r, 'OK true'), 50);
  assert.equal(v(r, 'unanswered'), 0);
  assert.ok(v(r, 'OK latency p50') > 0);
  assert.ok(v(r, 'durable ingest') > 0);
  stored += 50;
});

test('seed over WebSocket: realistic events are all accepted', { timeout: SMOKE_TIMEOUT_MS }, async () => {
  const r = await runSeed(
    {
      url: url(),
      databaseUrl: undefined,
      count: 300,
      durationSec: 60,
      connections: 2,
      inflight: 16,
      authors: 40,
      spanDays: 30,
      sign: false,
      seed: 2,
    },
    quiet,
  );
  assert.equal(v(r, 'OK true'), 300);
  assert.equal(v(r, 'unanswered'), 0);
  stored += 300;
});

test('req: every shape answers with EOSE and no failures', { timeout: SMOKE_TIMEOUT_MS }, async () => {
  const r = await runReq({ url: url(), count: 20, durationSec: 30, clients: 2, shapes: [], seed: 3 }, quiet);
  for (const shape of REQ_SHAPES) {
    assert.ok(v(r, `${shape.name} EOSE p50`) > 0, shape.name);
    assert.ok(v(r, `${shape.name} rate`) > 0, shape.name);
    assert.ok(
      !r.figures.some((f) => f.figure === `${shape.name} failed`),
      `${shape.name} had failed queries`,
    );
  }
  assert.equal(v(r, 'kinds1-limit100 events/query'), 100);
});

test('reads: the issue-12 data set is accepted and every shape answers as the set predicts', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  const r = await runReads(
    {
      ...READS_DEFAULTS,
      url: url(),
      databaseUrl: undefined,
      count: 300,
      authors: 30,
      durationSec: 1,
      statsCheckSeconds: 1,
      seed: 9,
    },
    quiet,
  );
  stored += 300;
  assert.equal(v(r, 'seeded OK true'), 300);
  assert.equal(v(r, 'statistics wait'), 2);
  for (const [shape] of READS_SHAPES) {
    assert.ok(v(r, `${shape} EOSE p50`) > 0, shape);
    assert.ok(v(r, `${shape} rate`) > 0, shape);
    assert.ok(!r.figures.some((f) => f.figure === `${shape} failed`), `${shape} had failed queries`);
  }
  // The relay holds more kind-1 notes than 100 by now; 10 authors × 10 notes each; each t value
  // is on 3 notes of the set and on nothing else; 10 distinct ids.
  assert.equal(v(r, '(a) events/query'), 100);
  assert.equal(v(r, '(b) events/query'), 100);
  assert.equal(v(r, '(c) events/query'), 3);
  assert.equal(v(r, '(d) events/query'), 10);
  assert.ok(v(r, '(e) events/query') >= 150, 'half the set is in the last hour');
});

test('stream: a limit above the store size returns the whole store', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  const r = await runStream({ url: url(), count: 1000, durationSec: 30 }, quiet);
  assert.equal(v(r, 'events'), stored);
  assert.ok(v(r, 'EOSE') > 0);
});

test('fanout all: each of 10 subscribers gets each of 20 events exactly once', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  const r = await runFanout(
    {
      url: url(),
      subUrl: url(),
      subscribers: 10,
      mode: 'all',
      authors: 3,
      rate: 50,
      count: 20,
      baseline: 10,
      durationSec: 30,
      seed: 4,
    },
    quiet,
  );
  assert.equal(v(r, 'deliveries expected'), 200);
  assert.equal(v(r, 'deliveries'), 200);
  assert.equal(v(r, 'missing'), 0);
  assert.equal(v(r, 'duplicates'), 0);
  assert.equal(v(r, 'unexpected'), 0);
  assert.ok(v(r, 'delivery delay p50') > 0);
  assert.ok(v(r, 'publisher OK latency p50') > 0);
  // The 10 baseline events went out before anyone subscribed, under another tag.
  assert.ok(v(r, 'publisher OK latency without subscribers p50') > 0);
  assert.equal(v(r, 'published'), 20);
});

test('fanout author: each subscriber gets exactly its author’s events', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  const r = await runFanout(
    {
      url: url(),
      subUrl: url(),
      subscribers: 10,
      mode: 'author',
      authors: 5,
      rate: 50,
      count: 20,
      baseline: 0,
      durationSec: 30,
      seed: 5,
    },
    quiet,
  );
  // 20 events round-robin over 5 authors: 4 each; every subscriber follows one author.
  assert.equal(v(r, 'deliveries expected'), 40);
  assert.equal(v(r, 'deliveries'), 40);
  assert.equal(v(r, 'missing'), 0);
  assert.equal(v(r, 'duplicates'), 0);
  assert.equal(v(r, 'unexpected'), 0);
});

test('idle: 20 connections hold a subscription and the relay RSS is read', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  assert.ok(relay);
  const settle = { minMs: 100, maxMs: 1000, intervalMs: 100, tolerance: 0.01, stableReadings: 3 };
  const r = await runIdle(
    { url: url(), count: 20, durationSec: 30, pids: [relay.pid], parallel: 10, settle },
    quiet,
  );
  assert.equal(v(r, 'connections open'), 20);
  assert.equal(v(r, 'subscriptions open'), 20);
  assert.ok(v(r, 'relay RSS after') > 0);
  assert.ok(Number.isFinite(v(r, 'RSS per connection')));
  // The standalone relay serves /metrics on its port and counts the connections itself.
  assert.ok(v(r, 'relay-reported connections') >= 20);
});

test('cli.js prints a table and writes the JSON document', { timeout: SMOKE_TIMEOUT_MS }, async () => {
  const out = join(dataDir, 'stream.json');
  const { stdout } = await run(process.execPath, [
    dist('cli.js'),
    'stream',
    '--url',
    url(),
    '--count',
    '10',
    '--json',
    out,
    '--quiet',
  ]);
  assert.match(stdout, /^scenario\s+figure\s+value\s+unit/);
  const doc = JSON.parse(await readFile(out, 'utf8'));
  assert.ok(doc.machine.cpus > 0);
  assert.equal(doc.results[0].scenario, 'stream');
  assert.equal(doc.results[0].results.events.value, 10);
  await assert.rejects(
    run(process.execPath, [dist('cli.js'), 'stream', '--url', 'ws://192.0.2.1:7777']),
    /loopback|127\.0\.0\.1/,
  );
});

test('standard.js --quick writes Markdown with every section', { timeout: SMOKE_TIMEOUT_MS }, async () => {
  assert.ok(relay);
  const out = join(dataDir, 'benchmarks.md');
  await run(
    process.execPath,
    [
      dist('standard.js'),
      ...['--url', url(), '--pids', String(relay.pid), '--embedded', '--stats-check-seconds', '1'],
      ...['--quick', '--quiet', '--out', out],
    ],
    {
      timeout: 180_000,
    },
  );
  const md = await readFile(out, 'utf8');
  const sections = [
    'idle',
    'match',
    'seed',
    'req',
    'stream',
    'reads',
    'ingest',
    'fanout all',
    'fanout author',
  ];
  sections.push('reads embedded', 'ingest embedded');
  for (const section of sections) assert.match(md, new RegExp(`^## ${section}$`, 'm'));
  assert.doesNotMatch(md, /FAILED/);
  // Every target names a figure the set produced: none is left unmeasured.
  assert.match(md, /^\| figure \| measured \| target \| met\? \|$/m);
  assert.match(md, new RegExp(`^\\d+ of ${ISSUE_6_TARGETS.length} targets met\\.$`, 'm'));
  assert.match(md, new RegExp(`^\\d+ of ${ISSUE_12_TARGETS.length} targets met\\.$`, 'm'));
  assert.match(md, /^## Targets \(issue 12\)$/m);
  assert.doesNotMatch(md, /not measured/);
  assert.match(md, /AMD|Intel|ARM|cpu|× /i);
});
