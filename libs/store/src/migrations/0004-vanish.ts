import { type Kysely, sql } from 'kysely';

/**
 * NIP-62 requests to vanish (docs/adr/0021-vanish-and-hll.md): one row per pubkey, the newest
 * request applied. Every event of the pubkey with created_at ≤ `until`, and every kind 1059 gift
 * wrap p-tagging it up to `until`, is deleted and refused from then on. The row is the truth
 * after a restart; the request event itself is kept here (`raw`), not in `events`, so no NIP-09
 * deletion and no later vanish can remove it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table vanish_requests (
    pubkey text collate "C" primary key,
    until bigint not null,
    request_id text collate "C" not null,
    raw text not null,
    applied_at bigint not null
  )`.execute(db);
}

/** Drops the table: the vanished events stay deleted, but they could be stored again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists vanish_requests`.execute(db);
}
