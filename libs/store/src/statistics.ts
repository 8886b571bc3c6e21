/**
 * Planner statistics the relay keeps itself. Postgres's autovacuum may be off (it is on this
 * project's CI machine) and PGlite has no autovacuum at all: a table that was never analyzed
 * makes the planner guess, and a REQ shape can run 3-4x slower than it should (issue 12). So
 * the process that writes events checks `pg_stat_user_tables` on a timer and analyzes (or
 * vacuums) each of its tables once enough rows changed — the rule autovacuum itself uses,
 * with its own thresholds.
 */
import { type Kysely, sql } from 'kysely';
import type { StoreLogger } from './lifecycle.js';

/** When a table counts as stale: `changes >= minChanges + percent/100 × rows`. */
export interface StatisticsPolicy {
  /** Rows changed (inserted, updated, deleted) since the last ANALYZE before one is due. */
  minChanges: number;
  /** Plus this percentage of the table's rows (autovacuum's default is 10). */
  changePercent: number;
  /**
   * Whether dead rows may be vacuumed. Off for PGlite: it runs in the relay's own thread, and a
   * VACUUM reads the whole table (~0.2 s per 50k events, blocking every connection meanwhile)
   * where an ANALYZE reads a bounded sample.
   */
  vacuum: boolean;
}

/** One table's counters, as `pg_stat_user_tables` reports them. */
export interface TableActivity {
  table: string;
  rows: number;
  changedSinceAnalyze: number;
  deadRows: number;
  /** Rows inserted since the last VACUUM (0 before Postgres 13, which does not count them). */
  insertedSinceVacuum: number;
}

/** What one maintenance pass did. */
export interface MaintenancePass {
  analyzed: string[];
  vacuumed: string[];
}

// Advisory lock key (any constant): one maintenance pass at a time across every process that
// writes to the database (several ingest workers share one Postgres).
const MAINTENANCE_LOCK = 0x6e72656c; // "nrel"

/** The action one table needs under `policy`: vacuum (dead rows) beats analyze (changed rows). */
export function maintenanceFor(
  activity: TableActivity,
  policy: StatisticsPolicy,
): 'vacuum' | 'analyze' | undefined {
  const threshold = policy.minChanges + (policy.changePercent / 100) * activity.rows;
  // Dead rows (replaced, deleted, expired events) bloat the table and its indexes, and pages
  // written since the last VACUUM are not marked all-visible, so index-only scans still visit
  // the heap for them (autovacuum's insert threshold exists for this); a VACUUM also analyzes.
  if (policy.vacuum && (activity.deadRows >= threshold || activity.insertedSinceVacuum >= 2 * threshold)) {
    return 'vacuum';
  }
  if (activity.changedSinceAnalyze >= threshold) return 'analyze';
  return undefined;
}

/** The counters of every table of the current schema (the relay's own tables). */
export async function tableActivity<DB>(db: Kysely<DB>): Promise<TableActivity[]> {
  // PGlite (one backend) reports its counters only when asked to flush; on Postgres this
  // flushes just this backend's and is harmless. Absent before Postgres 15: then skipped.
  await sql`select pg_stat_force_next_flush()`.execute(db).catch(() => undefined);
  const result = await sql<{
    relname: string;
    n_live_tup: string;
    n_mod_since_analyze: string;
    n_dead_tup: string;
    n_ins_since_vacuum: string | null;
  }>`
    select relname, n_live_tup, n_mod_since_analyze, n_dead_tup, to_jsonb(s) ->> 'n_ins_since_vacuum' as n_ins_since_vacuum
      from pg_stat_user_tables s
     where schemaname = current_schema() and relname not like 'kysely%'`.execute(db);
  return result.rows.map((row) => ({
    table: row.relname,
    rows: Number(row.n_live_tup),
    changedSinceAnalyze: Number(row.n_mod_since_analyze),
    deadRows: Number(row.n_dead_tup),
    insertedSinceVacuum: Number(row.n_ins_since_vacuum ?? 0),
  }));
}

/**
 * One pass: every stale table is analyzed (or vacuumed and analyzed), unless another process
 * holds the maintenance lock (then this pass does nothing; that process is doing the work).
 */
export async function maintainStatistics<DB>(
  db: Kysely<DB>,
  policy: StatisticsPolicy,
): Promise<MaintenancePass> {
  const done: MaintenancePass = { analyzed: [], vacuumed: [] };
  await db.connection().execute(async (conn) => {
    const lock = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as locked`.execute(conn);
    if (!lock.rows[0]?.locked) return;
    try {
      for (const activity of await tableActivity(conn)) {
        const action = maintenanceFor(activity, policy);
        if (action === undefined) continue;
        // Table names come from the catalogue; quoted as identifiers all the same.
        const table = sql.id(activity.table);
        if (action === 'vacuum') {
          await sql`vacuum (analyze) ${table}`.execute(conn);
          done.vacuumed.push(activity.table);
        } else {
          await sql`analyze ${table}`.execute(conn);
          done.analyzed.push(activity.table);
        }
      }
    } finally {
      await sql`select pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(conn);
    }
  });
  return done;
}

/** Whether the server's autovacuum setting is off (PGlite reports on, but runs no autovacuum). */
export async function autovacuumIsOff<DB>(db: Kysely<DB>): Promise<boolean> {
  const result = await sql<{ autovacuum: string }>`show autovacuum`.execute(db);
  return result.rows[0]?.autovacuum !== 'on';
}

/**
 * Runs a maintenance pass now and then every `intervalMs` (0: never); returns the function
 * that stops it, which resolves once a pass in progress has ended (so the database can close).
 * Passes never overlap; a failed one is logged and the next one tries again.
 */
export function keepStatisticsFresh<DB>(
  db: Kysely<DB>,
  options: StatisticsPolicy & { intervalMs: number; logger: StoreLogger },
): () => Promise<void> {
  const { intervalMs, logger } = options;
  if (intervalMs <= 0) return async () => undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const pass = () => {
    if (running !== undefined || stopped) return;
    running = maintainStatistics(db, options)
      .then(
        (done) => {
          if (done.analyzed.length + done.vacuumed.length > 0)
            logger.info(done, 'refreshed planner statistics');
        },
        (err: unknown) =>
          logger.warn({ err }, 'planner statistics maintenance failed; retrying next interval'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  pass();
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
