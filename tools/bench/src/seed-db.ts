import { SETTINGS, searchKindsOf } from '@nrelay/config';
import { dTagValue, expirationOf, kindClass } from '@nrelay/protocol';
import { indexKey } from '@nrelay/store';
import type { SignedEvent } from './events.js';

/**
 * Direct database seeding: rows for the relay's `events` and `event_tags` tables
 * (libs/store/src/migrations/0001-events.ts), computed the way the store's `prepareEvent` and
 * `insertEvents` compute them. The relay does not re-verify stored events, so these rows may
 * carry placeholder signatures.
 */

/** The part of a pg Client (or PGlite) the seeder uses. */
export interface SqlExecutor {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** One `events` row: id, pubkey, kind, created_at, raw, replace_key, expires_at, search text. */
export type EventRow = [string, string, number, number, string, string | null, number | null, string | null];
/** One `event_tags` row: event_id, name, key, kind, created_at, expires_at. */
export type TagRow = [string, string, string, number, number, number | null];

/** A batch ready for {@link INSERT_BATCH}: both row lists as JSON text, with their sizes. */
export interface SeedBatch {
  events: number;
  tags: number;
  eventsJson: string;
  tagsJson: string;
}

const SINGLE_LETTER = /^[A-Za-z]$/;

/** The kinds a relay on default settings gives a search vector (SEARCH_KINDS). */
const SEARCHABLE = searchKindsOf({
  SEARCH_KINDS: SETTINGS.find((s) => s.env === 'SEARCH_KINDS')?.default as string[],
});

/** The rows the store writes for `e` (its distinct single-letter tags, keys through `indexKey`). */
export function storeRows(e: SignedEvent): { event: EventRow; tags: TagRow[] } {
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
        ? `${e.kind}:${e.pubkey}:${dTagValue(e)}`
        : undefined;
  const searchable = SEARCHABLE === 'all' || SEARCHABLE.has(e.kind);
  const content = searchable ? e.content.replaceAll('\u0000', '') : '';
  const expiresAt = expirationOf(e) ?? null;
  const event: EventRow = [
    e.id,
    e.pubkey,
    e.kind,
    e.created_at,
    e.raw,
    address === undefined ? null : indexKey(address),
    expiresAt,
    content.trim() === '' ? null : content,
  ];
  const tags: TagRow[] = [];
  const seen = new Set<string>();
  for (const [name, value] of e.tags) {
    if (name === undefined || value === undefined || !SINGLE_LETTER.test(name)) continue;
    const key = indexKey(value);
    const pair = `${name}\u0000${key}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    tags.push([e.id, name, key, e.kind, e.created_at, expiresAt]);
  }
  return { event, tags };
}

/**
 * The rows of `events` as JSON text. JSON rather than Postgres array literals: V8 writes it
 * natively, where pg's array escaping cost more than the insert itself.
 */
export function seedBatch(events: readonly SignedEvent[]): SeedBatch {
  const eventRows: EventRow[] = [];
  const tagRows: TagRow[] = [];
  for (const e of events) {
    const rows = storeRows(e);
    eventRows.push(rows.event);
    for (const t of rows.tags) tagRows.push(t);
  }
  return {
    events: eventRows.length,
    tags: tagRows.length,
    eventsJson: JSON.stringify(eventRows),
    tagsJson: JSON.stringify(tagRows),
  };
}

/**
 * Inserts a batch of events and their single-letter tags in one statement ($1: event rows,
 * $2: tag rows, as JSON). Rows that collide with an existing id or replace key are skipped,
 * and so are their tags. The search vector is built as the store builds it.
 */
export const INSERT_BATCH = `
with ins as (
  insert into events (id, pubkey, kind, created_at, raw, replace_key, expires_at, search)
  select v->>0, v->>1, (v->>2)::int, (v->>3)::int8, v->>4, v->>5, (v->>6)::int8,
    case when v->>7 is null then null else to_tsvector('simple', v->>7) end
  from jsonb_array_elements($1::jsonb) v
  on conflict do nothing
  returning id
), tg as (
  insert into event_tags (event_id, name, key, kind, created_at, expires_at)
  select t->>0, t->>1, t->>2, (t->>3)::int, (t->>4)::int8, (t->>5)::int8
  from jsonb_array_elements($2::jsonb) t
  where t->>0 in (select id from ins)
  on conflict do nothing
  returning 1
)
select (select count(*) from ins)::int as events, (select count(*) from tg)::int as tags`;

/** Writes one batch; returns how many event and tag rows were inserted. */
export async function insertBatch(
  db: SqlExecutor,
  batch: SeedBatch,
): Promise<{ events: number; tags: number }> {
  const { rows } = await db.query(INSERT_BATCH, [batch.eventsJson, batch.tagsJson]);
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

/** Whether `events` holds fewer than `n` rows (counts at most `n`, so it stays cheap on big tables). */
export async function holdsFewerThan(db: SqlExecutor, n: number): Promise<boolean> {
  const { rows } = await db.query('select count(*)::int as n from (select 1 from events limit $1) s', [n]);
  return Number((rows[0] as { n: number } | undefined)?.n ?? 0) < n;
}
