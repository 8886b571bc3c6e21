/**
 * Waiting for the relay to keep its own planner statistics after a seed (issue 12): the relay
 * analyzes a table once `n_mod_since_analyze` passes `STATS_MIN_CHANGES + STATS_CHANGE_PERCENT %
 * of its rows` (checked every STATS_CHECK_SECONDS). The bench never runs ANALYZE itself: it only
 * reads `pg_stat_user_tables` until the tables are in the state a running relay keeps them.
 */
import pg from 'pg';
import { sleep } from './client.js';

/** The relay's analyze threshold (its STATS_MIN_CHANGES and STATS_CHANGE_PERCENT settings). */
export interface AnalyzePolicy {
  minChanges: number;
  changePercent: number;
}

/** The relay's defaults; `npm run bench` leaves them alone. */
export const RELAY_ANALYZE_POLICY: AnalyzePolicy = { minChanges: 1000, changePercent: 10 };

/** Tables whose statistics the REQ shapes depend on. */
const TABLES = ['events', 'event_tags'] as const;

/** One table's counters from `pg_stat_user_tables`. */
export interface TableCounters {
  /** Rows inserted since the server started (never reset by ANALYZE). */
  inserted: number;
  rows: number;
  changedSinceAnalyze: number;
  /** The latest ANALYZE (manual or automatic), epoch ms; undefined if never. */
  lastAnalyzedMs: number | undefined;
}

/** Counters of the tables the relay's queries use, by name (absent tables are left out). */
export type Counters = Partial<Record<(typeof TABLES)[number], TableCounters>>;

/** Reads the counters of the relay's tables (in the connection's current schema). */
async function readCounters(client: pg.Client): Promise<Counters> {
  const res = await client.query<{
    relname: (typeof TABLES)[number];
    n_tup_ins: string;
    n_live_tup: string;
    n_mod_since_analyze: string;
    analyzed: string | null;
  }>(
    `select relname, n_tup_ins, n_live_tup, n_mod_since_analyze,
            extract(epoch from greatest(last_analyze, last_autoanalyze)) * 1000 as analyzed
       from pg_stat_user_tables
      where schemaname = current_schema() and relname = any($1)`,
    [TABLES],
  );
  const out: Counters = {};
  for (const r of res.rows) {
    out[r.relname] = {
      inserted: Number(r.n_tup_ins),
      rows: Number(r.n_live_tup),
      changedSinceAnalyze: Number(r.n_mod_since_analyze),
      lastAnalyzedMs: r.analyzed === null ? undefined : Number(r.analyzed),
    };
  }
  return out;
}

/** The server's clock, epoch ms (the timestamps of `pg_stat_user_tables` are on it). */
async function serverNowMs(client: pg.Client): Promise<number> {
  const res = await client.query<{ ms: string }>('select extract(epoch from clock_timestamp()) * 1000 as ms');
  return Number(res.rows[0]?.ms);
}

/** Where the tables stand after a seed that ended at `seedEndMs`. */
export type StatisticsState =
  /** The server has not yet published the seed's inserts (backends flush their counters lazily). */
  | 'counting'
  /** Some table changed past the threshold and was not analyzed since: the relay will. */
  | 'stale'
  /** Every table was analyzed after the seed, or changed too little for the relay to analyze it. */
  | 'kept';

/**
 * Decides from counters read before and after a seed of `inserted` events. Until the events
 * table's insert counter shows them all, nothing can be said; then each table must have been
 * analyzed after the seed or have fewer changes than the relay's threshold.
 */
export function statisticsState(
  before: Counters,
  after: Counters,
  inserted: number,
  seedEndMs: number,
  policy: AnalyzePolicy,
): StatisticsState {
  const events = after.events;
  if (events === undefined || events.inserted - (before.events?.inserted ?? 0) < inserted) return 'counting';
  for (const table of TABLES) {
    const t = after[table];
    if (t === undefined) continue;
    if (t.lastAnalyzedMs !== undefined && t.lastAnalyzedMs >= seedEndMs) continue;
    const threshold = policy.minChanges + (policy.changePercent / 100) * t.rows;
    if (t.changedSinceAnalyze >= threshold) return 'stale';
  }
  return 'kept';
}

/** Settings of {@link waitForRelayStatistics}. */
export interface StatisticsWait {
  databaseUrl: string;
  /** Counters read before the seed. */
  before: Counters;
  /** Events the seed inserted (OK true, not duplicates). */
  inserted: number;
  seedEndMs: number;
  policy: AnalyzePolicy;
  timeoutMs: number;
}

/** How each table stands, in words: analyzed after the seed, or how far below the threshold. */
function describeTables(after: Counters, seedEndMs: number, policy: AnalyzePolicy): string {
  return TABLES.flatMap((table) => {
    const t = after[table];
    if (t === undefined) return [];
    if (t.lastAnalyzedMs !== undefined && t.lastAnalyzedMs >= seedEndMs)
      return [`${table} analyzed by the relay after the seed`];
    const threshold = Math.round(policy.minChanges + (policy.changePercent / 100) * t.rows);
    return [
      `${table} ${t.changedSinceAnalyze} rows changed since its last ANALYZE (relay threshold ${threshold})`,
    ];
  }).join('; ');
}

/** Polls until {@link statisticsState} says `kept` or `timeoutMs` passes; a note says which. */
export async function waitForRelayStatistics(w: StatisticsWait): Promise<{ ms: number; note: string }> {
  const client = new pg.Client({ connectionString: w.databaseUrl });
  await client.connect();
  const t0 = performance.now();
  try {
    let state: StatisticsState = 'counting';
    let after: Counters = {};
    while (performance.now() - t0 < w.timeoutMs) {
      after = await readCounters(client);
      state = statisticsState(w.before, after, w.inserted, w.seedEndMs, w.policy);
      if (state === 'kept') break;
      await sleep(500);
    }
    const ms = performance.now() - t0;
    const secs = (ms / 1000).toFixed(1);
    const tables = describeTables(after, w.seedEndMs, w.policy);
    const note =
      state === 'kept'
        ? `planner statistics as the relay keeps them after ${secs} s (pg_stat_user_tables: ${tables}); the bench never runs ANALYZE`
        : `planner statistics: after ${secs} s the relay had not analyzed the seeded tables (${state === 'counting' ? 'the inserts were not yet counted' : tables}); measured anyway`;
    return { ms, note };
  } finally {
    await client.end();
  }
}

/** Opens a client, reads the counters and the server clock, closes it. */
export async function countersNow(databaseUrl: string): Promise<{ counters: Counters; nowMs: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return { counters: await readCounters(client), nowMs: await serverNowMs(client) };
  } finally {
    await client.end();
  }
}
