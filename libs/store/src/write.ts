import { type Kysely, sql } from 'kysely';
import type { PreparedEvent } from './prepare.js';
import type { StoreSchema } from './schema.js';

/** A Kysely handle inside a transaction (or not): the write helpers accept either. */
export type Executor = Kysely<StoreSchema>;

/**
 * Inserts events and their tags with one multi-row statement each (columns passed as arrays
 * and `unnest`ed, so a batch is two parameters per column, not per row). Existing ids are
 * skipped. With `skipTombstoned`, events named by their author's NIP-09 `e` deletion are
 * skipped too (kind 5 is exempt: deleting a deletion has no effect). Returns the inserted ids.
 */
export async function insertEvents(
  db: Executor,
  events: readonly PreparedEvent[],
  skipTombstoned: boolean,
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  // Rows go in id order, so concurrent batches that share ids take their index locks in the
  // same order and do not deadlock on each other.
  events = [...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const tombstoneFilter = skipTombstoned
    ? sql`where v.kind = 5 or not exists (
        select 1 from deletions d where d.event_id = v.id and d.pubkey = v.pubkey)`
    : sql``;
  const { rows } = await sql<{ id: string }>`
    insert into events (id, pubkey, kind, created_at, raw, replace_key, expires_at, search)
    select v.id, v.pubkey, v.kind, v.created_at, v.raw, v.replace_key, v.expires_at,
      case when v.search_text is null then null else to_tsvector('simple', v.search_text) end
    from unnest(
      ${events.map((e) => e.id)}::text[], ${events.map((e) => e.pubkey)}::text[],
      ${events.map((e) => e.kind)}::int[], ${events.map((e) => e.createdAt)}::int8[],
      ${events.map((e) => e.raw)}::text[], ${events.map((e) => e.replaceKey)}::text[],
      ${events.map((e) => e.expiresAt)}::int8[], ${events.map((e) => e.searchText)}::text[]
    ) as v(id, pubkey, kind, created_at, raw, replace_key, expires_at, search_text)
    ${tombstoneFilter}
    on conflict (id) do nothing
    returning id`.execute(db);
  const inserted = new Set(rows.map((r) => r.id));
  await insertTags(
    db,
    events.filter((e) => inserted.has(e.id)),
  );
  return inserted;
}

async function insertTags(db: Executor, events: readonly PreparedEvent[]): Promise<void> {
  const eventIds: string[] = [];
  const names: string[] = [];
  const keys: string[] = [];
  const kinds: number[] = [];
  const createdAts: number[] = [];
  const expiresAts: Array<number | null> = [];
  for (const e of events) {
    for (const tag of e.tags) {
      eventIds.push(e.id);
      names.push(tag.name);
      keys.push(tag.key);
      kinds.push(e.kind);
      createdAts.push(e.createdAt);
      expiresAts.push(e.expiresAt);
    }
  }
  if (eventIds.length === 0) return;
  await sql`
    insert into event_tags (event_id, name, key, kind, created_at, expires_at)
    select * from unnest(${eventIds}::text[], ${names}::text[], ${keys}::text[], ${kinds}::int[],
      ${createdAts}::int8[], ${expiresAts}::int8[])
    on conflict do nothing`.execute(db);
}

/**
 * Takes the transaction-scoped advisory locks of the given replace keys, in one fixed order
 * (by hash) so two batches that share keys cannot deadlock on them.
 */
export async function lockReplaceKeys(db: Executor, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    select count(pg_advisory_xact_lock(s.h)) from (
      select distinct hashtext(k) as h from unnest(${[...new Set(keys)]}::text[]) as k order by h
    ) as s`.execute(db);
}
