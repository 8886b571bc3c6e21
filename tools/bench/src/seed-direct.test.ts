import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { closeAll, connectMany } from './client.js';
import { Progress } from './progress.js';
import { publishPipelined } from './publisher.js';
import { queryUrl } from './query.js';
import { type RelayChild, startStandaloneRelay } from './relay-process.js';
import type { Figure } from './report.js';
import { type SqlExecutor, seedBatch, storeRows } from './seed-db.js';
import { DirectSeeder } from './seed-direct.js';
import { presign, SignerPool } from './signer.js';

/** The test stops by itself even if the relay stops answering. */
const SMOKE_TIMEOUT_MS = 180_000;

// Black-box check of direct seeding against a real standalone relay on PGlite: the rows it
// writes straight into the relay's data directory are the rows the relay writes itself.
const quiet = Progress.silent;
let dataDir = '';
let relay: RelayChild | undefined;

function url(): string {
  assert.ok(relay, 'the relay did not start (see the first failure)');
  return relay.url;
}

before(async () => {
  // Fails loudly when apps/standalone has not been built: smoke tests never skip.
  dataDir = await mkdtemp(join(tmpdir(), 'nrelay-bench-'));
  relay = await startStandaloneRelay({ PORT: '0', DATA_DIR: dataDir, RATE_REQS_PER_CONNECTION: '0' });
});

after(async () => {
  await relay?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('direct seeding writes the rows the relay writes, and the relay serves them', {
  timeout: SMOKE_TIMEOUT_MS,
}, async () => {
  const pool = new SignerPool(1);
  const now = Math.floor(Date.now() / 1000);
  const viaRelay = await presign(pool, quiet, {
    count: 40,
    authors: 10,
    mix: 'realistic',
    seed: 6,
    now,
    spanSeconds: 86_400,
  });
  const fake = (count: number, seed: number) =>
    presign(pool, quiet, {
      count,
      authors: 20,
      mix: 'realistic',
      seed,
      now,
      spanSeconds: 86_400,
      fakeSig: true,
    });
  // More than the store holds (so the bulk path runs), then a few (the incremental path).
  const bulk = await fake(1500, 7);
  const incremental = await fake(100, 8);
  await pool.close();
  const sockets = await connectMany(url(), 1, 1);
  const pub = await publishPipelined({
    sockets,
    events: viaRelay.events,
    inflight: 8,
    deadline: performance.now() + 30_000,
    drainMs: 10_000,
  });
  await closeAll(sockets);
  assert.equal(pub.accepted, 40);
  await relay?.stop();
  relay = undefined;

  const lite = await PGlite.create(dataDir);
  try {
    const db = lite as unknown as SqlExecutor;
    const ids = viaRelay.events.map((e) => e.id);
    const rows = (
      await db.query(
        `select id, pubkey, kind, created_at, raw, replace_key, expires_at, search is null as nosearch
         from events where id = any($1) order by id`,
        [ids],
      )
    ).rows as Array<Record<string, unknown>>;
    const tags = (
      await db.query(
        `select event_id, name, key, kind, created_at, expires_at from event_tags where event_id = any($1)
         order by event_id, name, key`,
        [ids],
      )
    ).rows as Array<Record<string, unknown>>;
    const mine = viaRelay.events.map(storeRows).sort((a, b) => (a.event[0] < b.event[0] ? -1 : 1));
    const num = (x: unknown): number | null => (x === null ? null : Number(x));
    assert.deepEqual(
      rows.map((r) => [
        r.id,
        r.pubkey,
        r.kind,
        num(r.created_at),
        r.raw,
        r.replace_key,
        num(r.expires_at),
        r.nosearch,
      ]),
      mine.map(({ event: e }) => [e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7] === null]),
    );
    const key = (t: readonly unknown[]): string => `${t[0]} ${t[1]} ${t[2]}`;
    assert.deepEqual(
      tags.map((t) => [t.event_id, t.name, t.key, t.kind, num(t.created_at), num(t.expires_at)]),
      mine.flatMap((m) => m.tags).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    );
    assert.ok(tags.length > 0, 'the realistic mix has tagged events');

    const schema = async (): Promise<unknown[]> =>
      (
        await db.query(
          `select indexname as name, indexdef as def from pg_indexes where tablename in ('events', 'event_tags')
           union all select conname, pg_get_constraintdef(oid) from pg_constraint
           where conrelid in ('events'::regclass, 'event_tags'::regclass) order by 1, 2`,
        )
      ).rows;
    const before = await schema();
    const load = async (events: typeof bulk.events): Promise<{ method: string; figures: Figure[] }> => {
      const seeder = await DirectSeeder.open({ main: db, pool: db }, events.length);
      await seeder.write([seedBatch(events.slice(0, 700)), seedBatch(events.slice(700))]);
      return { method: seeder.method, figures: await seeder.finish(quiet) };
    };
    const first = await load(bulk.events);
    assert.equal(first.method, 'bulk');
    assert.equal(first.figures.find((f) => f.figure === 'event rows inserted')?.value, 1500);
    assert.deepEqual(await schema(), before, 'the bulk load restores every index and constraint');
    const second = await load(incremental.events);
    assert.equal(second.method, 'incremental');
    assert.equal(second.figures.find((f) => f.figure === 'event rows inserted')?.value, 100);
  } finally {
    await lite.close();
  }
  relay = await startStandaloneRelay({ PORT: '0', DATA_DIR: dataDir, RATE_REQS_PER_CONNECTION: '0' });
  for (const events of [bulk.events.slice(0, 200), incremental.events]) {
    const got = await queryUrl(relay.url, [{ ids: events.map((e) => e.id) }], 10_000);
    assert.equal(got.count, events.length);
  }
  const tagged = bulk.events.find((e) => e.tags.some((t) => t[0] === 'p'));
  assert.ok(tagged);
  const p = tagged.tags.find((t) => t[0] === 'p')?.[1] as string;
  const byTag = await queryUrl(relay.url, [{ '#p': [p], ids: [tagged.id] }], 10_000);
  assert.equal(byTag.count, 1, 'tag rows written by the bulk load are found');
});
