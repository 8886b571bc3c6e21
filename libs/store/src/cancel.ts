import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type pg from 'pg';

/** Pools of the Kysely instances opened on a real Postgres (PGlite has none: nothing to cancel). */
const pools = new WeakMap<object, pg.Pool>();

/** Records the pg pool behind a Kysely instance so its statements can be cancelled. */
export function registerCancellablePool<DB>(db: Kysely<DB>, pool: pg.Pool): void {
  pools.set(db, pool);
}

/**
 * Runs a compiled query so that aborting `signal` cancels it ON THE SERVER: the statement runs
 * on a pinned pool client whose backend pid is known, and an abort sends
 * `pg_cancel_backend(pid)` from another connection (the client's own one is busy), so a
 * REQ closed mid-query frees its Postgres backend at once instead of running to the end.
 * On PGlite (one in-process session, short pages) it is a plain execution.
 */
export async function executeCancellable<DB, R>(
  db: Kysely<DB>,
  query: CompiledQuery<R>,
  signal: AbortSignal | undefined,
): Promise<QueryResult<R>> {
  const pool = pools.get(db);
  if (pool === undefined || signal === undefined) return db.executeQuery(query);
  signal.throwIfAborted();
  const client = await pool.connect();
  const pid = (client as unknown as { processID: number | null }).processID;
  const onAbort = () => {
    if (pid !== null) pool.query('select pg_cancel_backend($1)', [pid]).catch(() => {});
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let broken: Error | undefined;
  try {
    const result = await client.query({ text: query.sql, values: [...query.parameters] });
    return { rows: result.rows as R[] };
  } catch (err) {
    // A cancelled statement (57014) is the abort's doing: report the abort, not a failure.
    if (signal.aborted) throw signal.reason;
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    // A client whose statement was cancelled is fine to reuse; one that failed otherwise is not trusted.
    client.release(signal.aborted ? undefined : broken);
  }
}
