import { type Kysely, sql } from 'kysely';

/**
 * `events_pubkey_created` also INCLUDEs `kind`. Every stored REQ carries the viewer's privacy
 * check, which for an anonymous viewer and a filter without kinds is `kind <> all(privileged)`;
 * without the kind in the index an author lane either visits the heap per entry or takes
 * `events_pubkey_kind_created` and sorts every event of the author. With it the lane is an
 * ordered index-only range that stops after a page (a 200-author feed: about 50 → 20 ms on
 * 1M events, docs/store-query-plans.md).
 *
 * The new index is built before the old one is dropped, in the migration's transaction: writes
 * to `events` wait for the build (seconds per million events).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_pubkey_created_kind on events (pubkey, created_at desc, id)
    include (expires_at, kind)`.execute(db);
  await sql`drop index events_pubkey_created`.execute(db);
  await sql`alter index events_pubkey_created_kind rename to events_pubkey_created`.execute(db);
}

/** Restores the index of 0001 (without `kind`). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_pubkey_created_nokind on events (pubkey, created_at desc, id)
    include (expires_at)`.execute(db);
  await sql`drop index events_pubkey_created`.execute(db);
  await sql`alter index events_pubkey_created_nokind rename to events_pubkey_created`.execute(db);
}
