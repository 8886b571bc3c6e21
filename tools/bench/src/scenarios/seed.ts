import pg from 'pg';
import { closeAll, connectMany } from '../client.js';
import { EventGenerator, type SignedEvent } from '../events.js';
import type { ProgressSink } from '../progress.js';
import { publishPipelined, rejectionFigures } from '../publisher.js';
import type { Figure, ScenarioResult } from '../report.js';
import type { SeedBatch, SqlExecutor } from '../seed-db.js';
import { DirectSeeder } from '../seed-direct.js';
import { SignerPool } from '../signer.js';
import { perSecond } from '../stats.js';

/** Settings of the `seed` scenario. */
export interface SeedOptions {
  url: string;
  /** Write straight into this Postgres instead of publishing over WebSocket. */
  databaseUrl: string | undefined;
  count: number;
  durationSec: number;
  /** WebSocket connections, or Postgres connections for incremental loads with --database-url. */
  connections: number;
  /** EVENTs in flight per connection (WebSocket path). */
  inflight: number;
  authors: number;
  /** created_at is spread over this many days before now. */
  spanDays: number;
  /** Direct path only: sign the events instead of writing placeholder signatures. */
  sign: boolean;
  seed: number;
}

/** Default settings of `seed`. */
export const SEED_DEFAULTS = {
  count: 20_000,
  durationSec: 3600,
  connections: 8,
  inflight: 64,
  authors: 3000,
  spanDays: 30,
} as const;

/** Events signed per step over WebSocket; the next step is prepared while the current one is written. */
const STEP = 5000;
/** Events per step on the direct path (four database batches). */
const DIRECT_STEP = 10_000;
const DRAIN_MS = 30_000;

/**
 * Fills a store with `count` events of realistic shapes (see {@link EventGenerator}), either
 * over WebSocket with many EVENTs in flight (real signatures) or straight into Postgres
 * (placeholder signatures unless `sign`; see {@link DirectSeeder}). Preparing the next step
 * overlaps writing the current one.
 */
export async function runSeed(opts: SeedOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const pool = new SignerPool();
  try {
    const keys = await pool.generateKeys(opts.authors);
    const gen = new EventGenerator({
      authors: opts.authors,
      pubkeys: keys.pubkeys,
      mix: 'realistic',
      seed: opts.seed,
      now: Math.floor(Date.now() / 1000),
      spanSeconds: opts.spanDays * 86_400,
    });
    const out = opts.databaseUrl
      ? await seedDirect(opts, opts.databaseUrl, progress, (n) => pool.rows(gen.take(n), keys, !opts.sign))
      : await seedSockets(opts, progress, (n) => pool.sign(gen.take(n), keys));
    if (out.written < opts.count)
      out.notes.push(`--duration stopped seeding after ${out.written} of ${opts.count}`);
    out.notes.push(
      opts.databaseUrl && !opts.sign
        ? 'direct path: ids are real, signatures are placeholders (the relay does not re-verify stored events)'
        : `events carry real signatures (${pool.impl})`,
    );
    return {
      scenario: 'seed',
      params: { ...opts, databaseUrl: opts.databaseUrl ? 'set' : 'unset' },
      figures: [
        { figure: 'events written', value: out.written, unit: 'events' },
        { figure: 'seed rate', value: perSecond(out.written, out.wallMs), unit: 'events/s' },
        ...out.figures,
        { figure: 'wall time', value: out.wallMs / 1000, unit: 's' },
      ],
      notes: out.notes,
    };
  } finally {
    await pool.close();
  }
}

interface SeedOutcome {
  written: number;
  /** First write to the last row committed (direct: including index rebuild and VACUUM). */
  wallMs: number;
  figures: Figure[];
  notes: string[];
}

/**
 * Runs `write` on each step prepared by `prepare`, preparing the next one while the current
 * one is written; returns how many events were handed to `write`.
 */
async function pipeline<T>(
  count: number,
  deadline: number,
  step: number,
  prepare: (n: number) => Promise<T>,
  sizeOf: (t: T) => number,
  write: (t: T) => Promise<void>,
  onWritten: (n: number) => void,
): Promise<number> {
  let written = 0;
  let ready: Promise<T> | undefined = prepare(Math.min(step, count));
  try {
    while (ready !== undefined && performance.now() < deadline) {
      const items: T = await ready;
      const n = sizeOf(items);
      // Start the write before preparing the next step: generation runs on this thread.
      const writing = write(items);
      const remaining = count - written - n;
      ready = remaining > 0 ? prepare(Math.min(step, remaining)) : undefined;
      await writing;
      written += n;
      onWritten(written);
    }
  } finally {
    await ready?.catch(() => {});
  }
  return written;
}

async function seedDirect(
  opts: SeedOptions,
  url: string,
  progress: ProgressSink,
  prepare: (n: number) => Promise<SeedBatch[]>,
): Promise<SeedOutcome> {
  // One connection for the bulk transaction (or the checks), the rest for incremental batches.
  const db = new pg.Pool({
    connectionString: url,
    max: opts.connections + 1,
    connectionTimeoutMillis: 10_000,
    // Seed data is not worth a flush per commit; a crash loses the last batches, nothing else.
    options: '-c synchronous_commit=off',
  });
  db.on('error', (err) => process.emitWarning(err));
  const main = await db.connect().catch(async (err: unknown) => {
    await db.end();
    throw err;
  });
  try {
    const seeder = await DirectSeeder.open({ main, pool: db as SqlExecutor }, opts.count);
    progress.start(`seeding (direct, ${seeder.method})`, opts.count);
    const t0 = performance.now();
    let written: number;
    try {
      written = await pipeline(
        opts.count,
        performance.now() + opts.durationSec * 1000,
        DIRECT_STEP,
        prepare,
        (batches) => batches.reduce((sum, b) => sum + b.events, 0),
        (batches) => seeder.write(batches),
        (n) => progress.update(n),
      );
      progress.finish();
    } catch (err) {
      progress.finish('failed');
      await seeder.abort();
      throw err;
    }
    const figures = await seeder.finish(progress);
    return {
      written,
      wallMs: performance.now() - t0,
      figures,
      notes: [
        seeder.method === 'bulk'
          ? 'bulk load: one transaction, secondary indexes and event_tags keys rebuilt at the end, then VACUUM ANALYZE'
          : 'incremental load: one INSERT per 2,500 events on parallel connections, then VACUUM ANALYZE',
      ],
    };
  } finally {
    main.release();
    await db.end();
  }
}

async function seedSockets(
  opts: SeedOptions,
  progress: ProgressSink,
  prepare: (n: number) => Promise<SignedEvent[]>,
): Promise<SeedOutcome> {
  const sockets = await connectMany(opts.url, opts.connections, opts.connections);
  const totals = { accepted: 0, duplicates: 0, unanswered: 0, rejected: new Map<string, number>() };
  const deadline = performance.now() + opts.durationSec * 1000;
  let done = 0;
  progress.start('seeding', opts.count);
  const t0 = performance.now();
  try {
    const written = await pipeline(
      opts.count,
      deadline,
      STEP,
      prepare,
      (events) => events.length,
      async (events) => {
        const out = await publishPipelined({
          sockets,
          events,
          inflight: opts.inflight,
          deadline,
          drainMs: DRAIN_MS,
          onProgress: (n) => progress.update(done + n),
        });
        done += events.length;
        totals.accepted += out.accepted;
        totals.duplicates += out.duplicates;
        totals.unanswered += out.unanswered;
        for (const [k, v] of out.rejected) totals.rejected.set(k, (totals.rejected.get(k) ?? 0) + v);
      },
      (n) => progress.update(n),
    );
    const wallMs = performance.now() - t0;
    progress.finish();
    const notes = totals.unanswered > 0 ? [`${totals.unanswered} EVENTs got no OK`] : [];
    const figures: Figure[] = [
      { figure: 'OK true', value: totals.accepted, unit: 'events' },
      { figure: 'OK true duplicate', value: totals.duplicates, unit: 'events' },
      ...rejectionFigures(totals.rejected),
      { figure: 'unanswered', value: totals.unanswered, unit: 'events' },
    ];
    return { written, wallMs, figures, notes };
  } finally {
    await closeAll(sockets);
  }
}
