import { type Kysely, sql } from 'kysely';

/**
 * The events, their indexed tags and NIP-09 tombstones.
 *
 * Text keys use COLLATE "C": byte order makes btree comparisons cheap and makes `id ASC` the
 * same order as JavaScript string comparison of lowercase hex. Every index that serves a
 * filter shape ends in (created_at DESC, id) so `ORDER BY created_at DESC, id ASC LIMIT n`
 * reads an index range in order and stops after n rows. They INCLUDE expires_at so the NIP-40
 * check needs no heap visit: the lane phase of a query is an index-only scan.
 */
const statements = [
  sql`create table events (
    id text collate "C" primary key,
    pubkey text collate "C" not null,
    kind integer not null,
    created_at bigint not null,
    raw text not null,
    replace_key text collate "C",
    expires_at bigint,
    search tsvector
  )`,
  sql`create unique index events_replace_key on events (replace_key) where replace_key is not null`,
  sql`create index events_pubkey_kind_created on events (pubkey, kind, created_at desc, id) include (expires_at)`,
  sql`create index events_pubkey_created on events (pubkey, created_at desc, id) include (expires_at)`,
  sql`create index events_kind_created on events (kind, created_at desc, id) include (expires_at)`,
  sql`create index events_created on events (created_at desc, id) include (expires_at)`,
  sql`create index events_search on events using gin (search) where search is not null`,
  sql`create index events_expires_at on events (expires_at) where expires_at is not null`,

  sql`create table event_tags (
    event_id text collate "C" not null references events (id) on delete cascade,
    name text collate "C" not null,
    key text collate "C" not null,
    kind integer not null,
    created_at bigint not null,
    expires_at bigint,
    primary key (event_id, name, key)
  )`,
  sql`create index event_tags_key_created on event_tags (name, key, created_at desc, event_id) include (expires_at)`,
  sql`create index event_tags_key_kind_created on event_tags (name, key, kind, created_at desc, event_id)
    include (expires_at)`,

  sql`create table deletions (
    event_id text collate "C" not null,
    pubkey text collate "C" not null,
    primary key (event_id, pubkey)
  )`,
  sql`create table address_deletions (
    kind integer not null,
    pubkey text collate "C" not null,
    d text collate "C" not null,
    until bigint not null,
    primary key (kind, pubkey, d)
  )`,
];

/** Creates the initial schema. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

/** Drops everything `up` created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['event_tags', 'deletions', 'address_deletions', 'events']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
