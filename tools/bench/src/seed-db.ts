import { dTagValue, expirationOf, kindClass } from '@nrelay/protocol';
import { indexKey } from '@nrelay/store';
import type { SignedEvent } from './events.js';

/**
 * Direct database seeding: rows for the relay's `events` and `event_tags` tables
 * (libs/store/src/migrations/0001-events.ts), computed the way the store's `prepareEvent`
 * computes them, written with one statement per batch. The relay does not re-verify stored
 * events, so these rows may carry placeholder signatures.
 */

/** The part of a pg Pool (or PGlite) the seeder uses. */
export interface SqlExecutor {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

const SINGLE_LETTER = /^[A-Za-z]$/;

/** Column arrays of one batch, in the order of {@link INSERT_BATCH}'s parameters. */
export function batchParams(events: readonly SignedEvent[]): unknown[][] {
  const c = {
    id: [] as string[],
    pubkey: [] as string[],
    kind: [] as number[],
    createdAt: [] as number[],
    raw: [] as string[],
    replaceKey: [] as Array<string | null>,
    expiresAt: [] as Array<number | null>,
    searchText: [] as Array<string | null>,
  };
  const t = {
    eventId: [] as string[],
    name: [] as string[],
    key: [] as string[],
    kind: [] as number[],
    createdAt: [] as number[],
  };
  for (const e of events) {
    const cls = kindClass(e.kind);
    if (e.kind === 5 || cls === 'ephemeral') {
      throw new Error(
        `kind ${e.kind} cannot be seeded directly: deletions and ephemeral events need the relay`,
      );
    }
    const address =
      cls === 'replaceable'
        ? `${e.kind}:${e.pubkey}`
        : cls === 'addressable'
          ? `${e.kind}:${e.pubkey}:${dTagValue(e) ?? ''}`
          : undefined;
    const content = e.content.replaceAll('\u0000', '');
    c.id.push(e.id);
    c.pubkey.push(e.pubkey);
    c.kind.push(e.kind);
    c.createdAt.push(e.created_at);
    c.raw.push(e.raw);
    c.replaceKey.push(address === undefined ? null : indexKey(address));
    c.expiresAt.push(expirationOf(e) ?? null);
    c.searchText.push(content.trim() === '' ? null : content);
    const seen = new Set<string>();
    for (const [name, value] of e.tags) {
      if (name === undefined || value === undefined || !SINGLE_LETTER.test(name)) continue;
      const key = indexKey(value);
      const pair = `${name}\u0000${key}`;
      if (seen.has(pair)) continue;
      seen.add(pair);
      t.eventId.push(e.id);
      t.name.push(name);
      t.key.push(key);
      t.kind.push(e.kind);
      t.createdAt.push(e.created_at);
    }
  }
  return [...Object.values(c), ...Object.values(t)];
}

/**
 * Inserts a batch of events and their single-letter tags in one statement (columns as arrays,
 * `unnest`ed). Rows that collide with an existing id or replace key are skipped, and so are
 * their tags.
 */
export const INSERT_BATCH = `
with ins as (
  insert into events (id, pubkey, kind, created_at, raw, replace_key, expires_at, search)
  select v.id, v.pubkey, v.kind, v.created_at, v.raw, v.replace_key, v.expires_at,
    case when v.search_text is null then null else to_tsvector('simple', v.search_text) end
  from unnest($1::text[], $2::text[], $3::int[], $4::int8[], $5::text[], $6::text[], $7::int8[], $8::text[])
    as v(id, pubkey, kind, created_at, raw, replace_key, expires_at, search_text)
  on conflict do nothing
  returning id
), tg as (
  insert into event_tags (event_id, name, key, kind, created_at)
  select t.event_id, t.name, t.key, t.kind, t.created_at
  from unnest($9::text[], $10::text[], $11::text[], $12::int[], $13::int8[])
    as t(event_id, name, key, kind, created_at)
  where t.event_id in (select id from ins)
  on conflict do nothing
  returning 1
)
select (select count(*) from ins)::int as events, (select count(*) from tg)::int as tags`;

/** Writes one batch; returns how many event and tag rows were inserted. */
export async function insertBatch(
  db: SqlExecutor,
  events: readonly SignedEvent[],
): Promise<{ events: number; tags: number }> {
  const { rows } = await db.query(INSERT_BATCH, batchParams(events));
  const row = rows[0] as { events: number; tags: number } | undefined;
  return { events: Number(row?.events ?? 0), tags: Number(row?.tags ?? 0) };
}

/** Throws a clear error when the relay's tables are missing (the relay migrates on start). */
export async function assertSchema(db: SqlExecutor): Promise<void> {
  const { rows } = await db.query(
    `select to_regclass('events') is not null as events, to_regclass('event_tags') is not null as tags`,
  );
  const r = rows[0] as { events: boolean; tags: boolean } | undefined;
  if (!r?.events || !r.tags) {
    throw new Error(
      'the database has no events/event_tags tables: start the relay against it once (it migrates on start) ' +
        'or run `npm run migrate` with DATABASE_URL set',
    );
  }
}
