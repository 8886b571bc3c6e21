import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { Progress } from './progress.js';
import { type RelayChild, startStandaloneRelay } from './relay-process.js';
import { countersNow } from './relay-statistics.js';
import { figureValue } from './report.js';
import { READS_DEFAULTS, runReads } from './scenarios/reads.js';

// The reads step on Postgres: the bench waits in pg_stat_user_tables until the relay (a
// standalone relay on a fresh Postgres database, checking every second) analyzed the seeded
// tables itself. Fails, never skips, when Postgres or the built relay is missing.
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `nrelay_bench_reads_${process.pid}_${randomBytes(3).toString('hex')}`;
const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
let dataDir = '';
let relay: RelayChild | undefined;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

before(async () => {
  await admin(`create database ${name}`);
  dataDir = await mkdtemp(join(tmpdir(), 'nrelay-bench-reads-'));
  relay = await startStandaloneRelay({
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    STATS_CHECK_SECONDS: '1',
    RATE_REQS_PER_CONNECTION: '0',
  });
});

after(async () => {
  await relay?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  await admin(`drop database if exists ${name} with (force)`);
});

test('reads on Postgres waits until the relay analyzed the seeded tables itself', {
  timeout: 180_000,
}, async () => {
  assert.ok(relay, 'the relay did not start');
  // 1,500 notes on empty tables: past the relay's threshold (1000 + 10 % of the rows).
  const r = await runReads(
    { ...READS_DEFAULTS, url: relay.url, databaseUrl, count: 1500, authors: 50, durationSec: 1, seed: 11 },
    Progress.silent,
  );
  assert.equal(figureValue(r, 'seeded OK true'), 1500);
  const note = r.notes.find((n) => n.startsWith('planner statistics'));
  assert.match(note ?? '', /as the relay keeps them .*events analyzed by the relay after the seed/);
  assert.ok(figureValue(r, 'statistics wait') < READS_DEFAULTS.statsWaitSec);
  const { counters } = await countersNow(databaseUrl);
  assert.ok(counters.events?.lastAnalyzedMs !== undefined, 'events was analyzed');
  assert.ok((counters.events?.changedSinceAnalyze ?? Number.POSITIVE_INFINITY) < 1000);
  assert.equal(figureValue(r, '(d) events/query'), 10);
  assert.equal(figureValue(r, '(c) events/query'), 15);
});
