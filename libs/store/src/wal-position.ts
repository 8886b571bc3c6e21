import { type Kysely, sql } from 'kysely';
import type { StoreSchema } from './schema.js';

/**
 * The primary's current WAL insert position (`pg_current_wal_insert_lsn()`, text `X/Y`). Read
 * after a save's transactions committed it is at or past their commit records whatever
 * `synchronous_commit` says (the write position, `pg_current_wal_lsn()`, may still be short of
 * them when it is off): a replica that has replayed it sees them (read replicas, ADR 0024).
 * Postgres only: a standby answers an error.
 */
export async function readWalPosition(db: Kysely<StoreSchema>): Promise<string> {
  const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(db);
  const lsn = rows[0]?.lsn;
  if (typeof lsn !== 'string') throw new Error('pg_current_wal_insert_lsn() answered no position');
  return lsn;
}

/**
 * A replica's replay position and lag (`pg_last_wal_replay_lsn()`; `now() -
 * pg_last_xact_replay_timestamp()` in seconds, undefined before it replayed a transaction).
 * The position is undefined on a server that is not a standby.
 */
export async function readReplayPosition(
  db: Kysely<StoreSchema>,
): Promise<{ lsn: string | undefined; lagSeconds: number | undefined }> {
  const { rows } = await sql<{ lsn: string | null; lag: number | null }>`
    select pg_last_wal_replay_lsn()::text as lsn,
      extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as lag`.execute(db);
  const row = rows[0];
  return { lsn: row?.lsn ?? undefined, lagSeconds: row?.lag ?? undefined };
}
