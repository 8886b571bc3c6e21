import pg from 'pg';
import { closeAll, connectMany } from '../client.js';
import { EventGenerator, type Keys, type SignedEvent } from '../events.js';
import type { ProgressSink } from '../progress.js';
import { publishPipelined, rejectionFigures } from '../publisher.js';
import type { Figure, ScenarioResult } from '../report.js';
import { assertSchema, insertBatch, type SqlExecutor } from '../seed-db.js';
import { SignerPool } from '../signer.js';
import { perSecond } from '../stats.js';

/** Settings of the `seed` scenario. */
export interface SeedOptions {
  url: string;
  /** Write straight into this Postgres instead of publishing over WebSocket. */
  databaseUrl: string | undefined;
  count: number;
  durationSec: number;
  /** WebSocket connections, or Postgres connections with --database-url. */
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

/** Events signed (or hashed) per step; the next step is prepared while the current one is written. */
const STEP = 5000;
/** Rows per INSERT statement on the direct path. */
const DB_BATCH = 1000;
const DRAIN_MS = 30_000;

type Writer = (events: SignedEvent[], deadline: number) => Promise<void>;

/**
 * Fills a store with `count` events of realistic shapes (see {@link EventGenerator}), either
 * over WebSocket with many EVENTs in flight (real signatures) or with multi-row INSERTs straight
 * into Postgres (placeholder signatures unless `sign`). Preparing the next step overlaps writing
 * the current one.
 */
export async function runSeed(opts: SeedOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const pool = new SignerPool();
  const fakeSig = opts.databaseUrl !== undefined && !opts.sign;
  const deadline = performance.now() + opts.durationSec * 1000;
  let keys: Keys;
  try {
    keys = await pool.generateKeys(opts.authors);
  } catch (err) {
    await pool.close();
    throw err;
  }
  const gen = new EventGenerator({
    authors: opts.authors,
    pubkeys: keys.pubkeys,
    mix: 'realistic',
    seed: opts.seed,
    now: Math.floor(Date.now() / 1000),
    spanSeconds: opts.spanDays * 86_400,
  });
  const prepare = (n: number): Promise<SignedEvent[]> => pool.sign(gen.take(n), keys, fakeSig);
  const figures: Figure[] = [];
  const notes: string[] = [];
  let written = 0;
  let target: { write: Writer; close(): Promise<void> };
  try {
    target = opts.databaseUrl
      ? await directTarget(opts.databaseUrl, opts.connections, figures)
      : await socketTarget(opts, figures, notes, (n) => progress.update(written + n));
  } catch (err) {
    await pool.close();
    throw err;
  }
  progress.start(opts.databaseUrl ? 'seeding (direct)' : 'seeding', opts.count);
  const t0 = performance.now();
  try {
    let next = prepare(Math.min(STEP, opts.count));
    while (written < opts.count && performance.now() < deadline) {
      const events = await next;
      const remaining = opts.count - written - events.length;
      if (remaining > 0) next = prepare(Math.min(STEP, remaining));
      await target.write(events, deadline);
      written += events.length;
      progress.update(written);
      if (remaining <= 0) break;
    }
    await next.catch(() => {});
  } finally {
    progress.finish(pool.impl);
    await Promise.all([target.close(), pool.close()]);
  }
  const wallMs = performance.now() - t0;
  if (written < opts.count) notes.push(`--duration stopped seeding after ${written} of ${opts.count}`);
  notes.push(
    fakeSig
      ? 'direct path: ids are real, signatures are placeholders (the relay does not re-verify stored events)'
      : `events carry real signatures (${pool.impl})`,
  );
  return {
    scenario: 'seed',
    params: { ...opts, databaseUrl: opts.databaseUrl ? 'set' : 'unset' },
    figures: [
      { figure: 'events written', value: written, unit: 'events' },
      { figure: 'seed rate', value: perSecond(written, wallMs), unit: 'events/s' },
      ...figures,
      { figure: 'wall time', value: wallMs / 1000, unit: 's' },
    ],
    notes,
  };
}

async function socketTarget(
  opts: SeedOptions,
  figures: Figure[],
  notes: string[],
  onProgress: (answered: number) => void,
): Promise<{ write: Writer; close(): Promise<void> }> {
  const sockets = await connectMany(opts.url, opts.connections, opts.connections);
  const totals = { accepted: 0, duplicates: 0, unanswered: 0, rejected: new Map<string, number>() };
  return {
    write: async (events, deadline) => {
      const out = await publishPipelined({
        sockets,
        events,
        inflight: opts.inflight,
        deadline,
        drainMs: DRAIN_MS,
        onProgress,
      });
      totals.accepted += out.accepted;
      totals.duplicates += out.duplicates;
      totals.unanswered += out.unanswered;
      for (const [k, v] of out.rejected) totals.rejected.set(k, (totals.rejected.get(k) ?? 0) + v);
    },
    close: async () => {
      await closeAll(sockets);
      figures.push(
        { figure: 'OK true', value: totals.accepted, unit: 'events' },
        { figure: 'OK true duplicate', value: totals.duplicates, unit: 'events' },
        ...rejectionFigures(totals.rejected),
        { figure: 'unanswered', value: totals.unanswered, unit: 'events' },
      );
      if (totals.unanswered > 0) notes.push(`${totals.unanswered} EVENTs got no OK`);
    },
  };
}

async function directTarget(
  url: string,
  connections: number,
  figures: Figure[],
): Promise<{ write: Writer; close(): Promise<void> }> {
  const db = new pg.Pool({ connectionString: url, max: connections, connectionTimeoutMillis: 10_000 });
  db.on('error', (err) => process.emitWarning(err));
  try {
    await assertSchema(db as SqlExecutor);
  } catch (err) {
    await db.end();
    throw err;
  }
  return directWriter(db as SqlExecutor, figures, async () => {
    // Fresh statistics, so the first benchmark after seeding does not run on guessed row counts.
    await db.query('analyze events, event_tags');
    await db.end();
  });
}

/** A writer that inserts batches on `db` concurrently; exported for the PGlite smoke test. */
export function directWriter(
  db: SqlExecutor,
  figures: Figure[],
  close: () => Promise<void>,
): { write: Writer; close(): Promise<void> } {
  let rows = 0;
  let tagRows = 0;
  return {
    write: async (events) => {
      const batches: Array<Promise<{ events: number; tags: number }>> = [];
      for (let i = 0; i < events.length; i += DB_BATCH)
        batches.push(insertBatch(db, events.slice(i, i + DB_BATCH)));
      for (const r of await Promise.all(batches)) {
        rows += r.events;
        tagRows += r.tags;
      }
    },
    close: async () => {
      figures.push(
        { figure: 'event rows inserted', value: rows, unit: 'rows' },
        { figure: 'tag rows inserted', value: tagRows, unit: 'rows' },
      );
      await close();
    },
  };
}
