import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type EventSet, eventSet } from './cli/events.js';
import { runCli, spawnCli, summaryOf } from './cli/run.js';
import {
  createTestDatabase,
  flipHex,
  newKeys,
  nowSec,
  signEvent,
  startStandalone,
  type TestDatabase,
} from './harness/index.js';

async function storedCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from events');
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

describe('nrelay CLI: export and import', () => {
  let dir: string;
  let set: EventSet;
  let source: string;
  const databases: TestDatabase[] = [];
  const database = async () => {
    const db = await createTestDatabase();
    databases.push(db);
    return { databaseUrl: db.url };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nrelay-cli-it-'));
    set = eventSet(1500);
    source = join(dir, 'source.jsonl');
    await writeFile(source, `${set.lines.join('\n')}\n`);
  });
  after(async () => {
    await Promise.all(databases.map((db) => db.drop()));
    await rm(dir, { recursive: true, force: true });
  });

  it('export → import into fresh Postgres and PGlite stores → export is byte-identical, .gz and .zst too', async () => {
    const first = await database();
    const imported = await runCli(['import', source, '--json'], first);
    assert.equal(imported.code, 0, imported.stderr);
    const summary = summaryOf(imported);
    assert.deepEqual(
      [summary.read, summary.stored, summary.duplicate, summary.invalid, summary.rejected],
      [set.lines.length, set.stored, 0, 0, set.rejected],
    );
    const exported = join(dir, 'first.jsonl');
    const exportRun = await runCli(['export', '--out', exported], first);
    assert.equal(exportRun.code, 0, exportRun.stderr);
    const text = await readFile(exported, 'utf8');
    // The two replaced versions (kind 0 and 30023) are no longer stored; nothing else is lost.
    assert.equal(text.split('\n').length - 1, set.stored - 2);
    // Exactly the stored text: every exported line is a line of the source file.
    const sourceLines = new Set(set.lines);
    for (const line of text.trimEnd().split('\n')) assert.ok(sourceLines.has(line), line);

    for (const suffix of ['jsonl.gz', 'jsonl.zst']) {
      const compressed = join(dir, `first.${suffix}`);
      assert.equal((await runCli(['export', '--out', compressed], first)).code, 0);
      const again = await database();
      const run = await runCli(['import', compressed, '--json'], again);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(summaryOf(run).stored, set.stored - 2, suffix);
      const back = await runCli(['export'], again);
      assert.equal(back.stdout, text, `${suffix}: the second export differs`);
    }
    const dataDir = join(dir, 'pglite');
    const lite = await runCli(['import', exported, '--json'], { dataDir });
    assert.equal(lite.code, 0, lite.stderr);
    assert.equal(summaryOf(lite).stored, set.stored - 2);
    const liteExport = await runCli(['export', '--filter', '{}'], { dataDir });
    assert.equal(liteExport.stdout, text, 'PGlite: the second export differs');
    // A filter, and a rerun that finds everything in.
    const dms = await runCli(['export', '--filter', '{"kinds":[4]}'], { dataDir });
    assert.equal(dms.stdout.trimEnd().split('\n').length, 1);
    const rerun = await runCli(['import', exported, '--json'], { dataDir });
    assert.equal(summaryOf(rerun).duplicate, set.stored - 2);
  });

  it('the bulk path (default) and --no-bulk store the same events with the same summary', async () => {
    const bulk = await database();
    const plain = await database();
    const runs = [
      await runCli(['import', source, '--json', '--batch', '700'], bulk),
      await runCli(['import', source, '--json', '--no-bulk'], plain),
    ];
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const [a, b] = runs.map((run) => summaryOf(run));
    assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 });
    assert.equal(a?.stored, set.stored);
    const exports = [await runCli(['export'], bulk), await runCli(['export'], plain)];
    assert.equal(exports[0]?.stdout, exports[1]?.stdout);
    assert.equal(await storedCount(bulk.databaseUrl), set.stored - 2);
  });

  it('reports each bad line by number, skips it, and counts exactly', async () => {
    const keys = newKeys();
    const good = () => JSON.stringify(signEvent(keys));
    const badSig = signEvent(keys);
    const badId = signEvent(keys);
    const expired = signEvent(keys, {
      tags: [['expiration', String(nowSec() - 60)]],
      created_at: nowSec() - 120,
    });
    const first = good();
    const lines = [
      first,
      '{not json',
      JSON.stringify({ ...badSig, sig: flipHex(badSig.sig) }),
      '',
      JSON.stringify({ ...signEvent(keys), content: 'x'.repeat(300_000) }),
      JSON.stringify({ ...badId, id: flipHex(badId.id) }),
      '[1,2]',
      good(),
      first,
      JSON.stringify(expired),
    ];
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, lines.join('\n'));
    const run = await runCli(['import', file, '--json'], await database());
    assert.equal(run.code, 0, run.stderr);
    const summary = summaryOf(run);
    assert.deepEqual(
      [summary.read, summary.stored, summary.duplicate, summary.invalid, summary.rejected],
      [9, 2, 1, 5, 1],
    );
    for (const n of [2, 3, 5, 6, 7]) assert.match(run.stderr, new RegExp(`^line ${n}: invalid: `, 'm'));
    assert.match(run.stderr, /^line 3: invalid: bad signature$/m);
    assert.match(run.stderr, /^line 5: invalid: longer than 262144 bytes/m);
    assert.match(run.stderr, /^line 6: invalid: event id does not match/m);
    assert.doesNotMatch(run.stderr, /^line (1|4|8|9|10):/m);
    assert.match(run.stderr, /1 × invalid: event has expired/);
  });

  it('imports from stdin (-) and exports to stdout, a filter and --since/--until applied', async () => {
    const store = await database();
    const lines = set.lines.slice(0, 300);
    const run = await runCli(['import', '-', '--json'], store, {}, `${lines.join('\n')}\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summaryOf(run).stored, 300);
    const times = lines.map((line) => (JSON.parse(line) as { created_at: number }).created_at).sort();
    const [since, until] = [times[100] as number, times[199] as number];
    const window = await runCli(['export', '--since', String(since), '--until', String(until)], store);
    const expected = lines.filter((line) => {
      const at = (JSON.parse(line) as { created_at: number }).created_at;
      return at >= since && at <= until;
    });
    assert.deepEqual(window.stdout.trimEnd().split('\n').sort(), expected.sort());
    const bad = await runCli(['export', '--filter', '{"kinds":"x"}'], store);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^nrelay: --filter: invalid: /m);
  });

  it('--no-verify trusts signatures (one’s own backups) but still checks ids', async () => {
    const keys = newKeys();
    const badSig = signEvent(keys);
    const badId = signEvent(keys);
    const file = join(dir, 'unverified.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ ...badSig, sig: flipHex(badSig.sig) })}\n${JSON.stringify({ ...badId, id: flipHex(badId.id) })}\n`,
    );
    const run = await runCli(['import', file, '--no-verify', '--json'], await database());
    assert.equal(run.code, 0, run.stderr);
    const summary = summaryOf(run);
    assert.deepEqual([summary.stored, summary.invalid], [1, 1]);
    assert.match(run.stderr, /^line 2: invalid: event id does not match/m);
  });

  it('Ctrl-C mid import: exits 130 after committing what it had, and a rerun stores the rest once', async () => {
    const store = await database();
    // One event per transaction, so the import is still running when the signal comes.
    const proc = spawnCli(['import', source, '--json', '--window', '1'], store);
    const deadline = Date.now() + 60_000;
    while ((await storedCount(store.databaseUrl).catch(() => 0)) < 50) {
      assert.ok(Date.now() < deadline, `nothing stored after 60 s: ${proc.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.child.kill('SIGINT');
    const stopped = await proc.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /\(interrupted\): read \d+, stored \d+/);
    const partial = summaryOf(stopped);
    assert.equal(partial.interrupted, true);
    const storedFirst = partial.stored as number;
    assert.ok(storedFirst < set.stored, `the whole file went in before the signal (${storedFirst})`);
    assert.equal(await storedCount(store.databaseUrl), storedFirst, 'stored rows = stored in the summary');
    const rest = summaryOf(await runCli(['import', source, '--json'], store));
    assert.equal((rest.stored as number) + storedFirst, set.stored);
    assert.equal(rest.duplicate, storedFirst);
    // Every stored row once: the two replaced versions and the deleted note are gone.
    assert.equal(await storedCount(store.databaseUrl), set.stored - 2);
  });

  it('refuses a PGlite DATA_DIR held by a running relay, naming what to do', async () => {
    const dataDir = join(dir, 'held');
    const relay = await startStandalone({ dataDir });
    try {
      const run = await runCli(['export'], { dataDir });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /is in use by process \d+/);
      assert.match(run.stderr, /stop the relay .*or run the relay on Postgres \(DATABASE_URL\)/);
    } finally {
      await relay.stop();
    }
  });
});
