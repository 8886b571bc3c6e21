import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { registerCancellablePool } from './cancel.js';
import { lockDataDir } from './data-dir-lock.js';
import { PGlitePool } from './pglite-pool.js';
import { openPGliteHere, openPGliteThread, parseInt8 } from './pglite-session.js';
import type { StoreSchema } from './schema.js';

/** How to reach the database. */
export interface DatabaseOptions {
  /** `postgres://…` URL of a real Postgres server. When absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` for an in-memory database. Default `memory://`. */
  dataDir?: string;
  /** Maximum pg connections (ignored by PGlite, which is one session). Default 10. */
  poolSize?: number;
  /** How long to wait for a free pg connection before failing, in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Receives errors of pg connections, idle or checked out (server restart, network). Default: a process warning. */
  onPoolError?: (err: Error) => void;
  /**
   * Server-side cap on one statement, in ms (0 = none). Stored queries are paged, so a page
   * never needs long; the cap ends a runaway statement even when its client went away.
   */
  statementTimeoutMs?: number;
  /**
   * PGlite only: run it in a worker thread so its statements never block the event loop (ADR
   * 0022); default in this thread, which measured faster on 2 cores.
   */
  pgliteThread?: boolean;
}

/** An open database: the Kysely instance and the way to close it. */
export interface StoreDatabase {
  db: Kysely<StoreSchema>;
  /** Which engine is behind `db`. */
  backend: 'postgres' | 'pglite';
  /** Ends the pool (or closes PGlite). Safe to call once. */
  close(): Promise<void>;
}

/** Default number of pooled pg connections. */
export const DEFAULT_POOL_SIZE = 10;
/** Default wait for a pooled pg connection, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const INT8_OID = 20;

/**
 * Opens the store's database: a pg Pool with Kysely's PostgresDialect when `databaseUrl` is
 * given, otherwise PGlite (one embedded session) behind the same dialect. Both read int8 as
 * numbers. Migrations are not run here; see `migrateToLatest`.
 */
export async function createDatabase(opts: DatabaseOptions = {}): Promise<StoreDatabase> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts);
  const dataDir = opts.dataDir ?? 'memory://';
  // One process per data directory: PGlite has no lock of its own (ADR 0011).
  const lock = dataDir.includes('://') ? undefined : lockDataDir(dataDir);
  try {
    const lite = await (opts.pgliteThread ? openPGliteThread(dataDir) : openPGliteHere(dataDir));
    const pool = new PGlitePool(lite);
    const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
    // Kysely ends the pool only if it was used; PGlite must be closed before the lock goes.
    const close = () => db.destroy().then(() => pool.end());
    return { db, backend: 'pglite', close: () => close().finally(() => lock?.release()) };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

function openPostgres(databaseUrl: string, opts: DatabaseOptions): StoreDatabase {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    // No parallel workers: the store's statements are short LIMITed index reads, and starting
    // workers for one (the planner does for a page of a popular tag) cost 30–70 ms against
    // 4 ms without them (docs/store-query-plans.md), besides competing with concurrent queries.
    options: '-c max_parallel_workers_per_gather=0',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? parseInt8
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error is emitted on the pool; unhandled, it would crash the process.
  const onError = opts.onPoolError ?? ((err: Error) => process.emitWarning(err));
  pool.on('error', onError);
  // A checked-out client (a transaction between statements, a pinned query) has no pool listener:
  // a server restart or pg_terminate_backend (57P01) emitted on it would crash the process. Its
  // own statement still fails to the caller, and the pool drops the broken client on release.
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_err, client) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    // Idle clients' errors reach onError through the pool already.
    client.on('error', (err) => checkedOut.has(client) && onError(err));
  });
  const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
  registerCancellablePool(db, pool);
  return { db, backend: 'postgres', close: () => db.destroy() };
}
