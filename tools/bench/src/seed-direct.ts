import type { ProgressSink } from './progress.js';
import type { Figure } from './report.js';
import { BulkLoad } from './seed-bulk.js';
import { assertSchema, holdsFewerThan, insertBatch, type SeedBatch, type SqlExecutor } from './seed-db.js';

/** Where direct seeding writes. */
export interface DirectDb {
  /** One connection: the checks, the bulk transaction and VACUUM run on it. */
  main: SqlExecutor;
  /** Incremental batches run here, all of a step at once (a pool, or `main` again). */
  pool: SqlExecutor;
}

/**
 * Writes seed batches straight into the relay's tables. When the load at least doubles the
 * `events` table it runs as a {@link BulkLoad} (one transaction, indexes rebuilt at the end);
 * otherwise each batch is its own INSERT, a step's batches in parallel on the pool. Either way
 * the tables are vacuumed and analyzed at the end, so queries run on fresh statistics and
 * index-only scans find an up-to-date visibility map, as on a relay where autovacuum caught up.
 */
export class DirectSeeder {
  private rows = 0;
  private tagRows = 0;

  private constructor(
    private readonly db: DirectDb,
    private readonly bulk: BulkLoad | undefined,
  ) {}

  /** Checks the schema and starts a bulk load when the table holds fewer than `count` events. */
  static async open(db: DirectDb, count: number): Promise<DirectSeeder> {
    await assertSchema(db.main);
    const bulk = (await holdsFewerThan(db.main, count)) ? await BulkLoad.begin(db.main) : undefined;
    return new DirectSeeder(db, bulk);
  }

  /** `bulk` or `incremental`. */
  get method(): string {
    return this.bulk ? 'bulk' : 'incremental';
  }

  /** Inserts `batches` (in order on the bulk connection, in parallel otherwise). */
  async write(batches: readonly SeedBatch[]): Promise<void> {
    const counts: Array<{ events: number; tags: number }> = [];
    if (this.bulk) for (const b of batches) counts.push(await this.bulk.write(b));
    else counts.push(...(await Promise.all(batches.map((b) => insertBatch(this.db.pool, b)))));
    for (const c of counts) {
      this.rows += c.events;
      this.tagRows += c.tags;
    }
  }

  /** Commits (rebuilding what a bulk load dropped), then vacuums and analyzes; returns figures. */
  async finish(progress: ProgressSink): Promise<Figure[]> {
    const figures: Figure[] = [];
    if (this.bulk) {
      progress.start('rebuilding indexes', this.bulk.dropped.length);
      const t0 = performance.now();
      await this.bulk.commit((n) => progress.update(n));
      progress.finish();
      figures.push({ figure: 'index rebuild', value: (performance.now() - t0) / 1000, unit: 's' });
    }
    progress.start('vacuum analyze', 0);
    const t0 = performance.now();
    await this.db.main.query('vacuum (analyze) events, event_tags');
    progress.finish();
    figures.push(
      { figure: 'vacuum analyze', value: (performance.now() - t0) / 1000, unit: 's' },
      { figure: 'event rows inserted', value: this.rows, unit: 'rows' },
      { figure: 'tag rows inserted', value: this.tagRows, unit: 'rows' },
    );
    return figures;
  }

  /** Gives up: a bulk load is rolled back entirely; incremental batches already written stay. */
  async abort(): Promise<void> {
    await this.bulk?.rollback();
  }
}
