import { type Kysely, sql } from 'kysely';

/**
 * The access-control state NIP-86 management changes (docs/access-control.md), and the
 * quarantine that hides a banned pubkey's or event's stored events (docs/adr/0005).
 *
 * Every table here is small and read whole by each process at start and on each change
 * announcement; none is read on the query path. Times are seconds.
 */
const statements = [
  // Per-pubkey level; 'none' is a ban. No row: the access mode's default applies.
  sql`create table acl_pubkeys (
    pubkey text collate "C" primary key,
    level text not null check (level in ('none', 'read', 'write', 'admin')),
    reason text,
    updated_at bigint not null
  )`,
  // Banned event ids; they may name events never stored (a later submit is refused).
  sql`create table banned_events (
    id text collate "C" primary key,
    reason text,
    updated_at bigint not null
  )`,
  // allowed = true: on the kind allowlist (a non-empty allowlist refuses every other kind);
  // allowed = false: disallowed whatever the allowlist says.
  sql`create table kind_rules (
    kind integer primary key,
    allowed boolean not null,
    updated_at bigint not null
  )`,
  // NIP-86 blockip entries: one address or a CIDR, as given (trimmed, lower-case).
  sql`create table blocked_ips (
    ip text collate "C" primary key,
    reason text,
    updated_at bigint not null
  )`,
  // Relay information overrides (NIP-11 name, description, icon) over the configured values.
  sql`create table relay_settings (
    key text collate "C" primary key,
    value text not null,
    updated_at bigint not null
  )`,
  // Stored events hidden by a ban, moved out of `events` (tags and all) so that no read path
  // can return them; an unban saves them back through the normal write path.
  sql`create table quarantined_events (
    id text collate "C" primary key,
    pubkey text collate "C" not null,
    raw text not null,
    quarantined_at bigint not null
  )`,
  sql`create index quarantined_events_pubkey on quarantined_events (pubkey)`,
];

/** Creates the management tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

/** Drops everything `up` created (quarantined events are lost). */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'acl_pubkeys',
    'banned_events',
    'kind_rules',
    'blocked_ips',
    'relay_settings',
    'quarantined_events',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
