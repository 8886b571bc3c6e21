/**
 * A bulk write path for large batches (`nrelay import`, ADR 0020). Same outcomes as
 * `saveEvents`, fewer round trips: a run of consecutive regular events is written in one
 * transaction of three statements (the vanish lock, the NIP-62 tombstones, then one statement
 * that inserts the events and their tags and reports the NIP-09 tombstoned ones), instead of
 * `saveEvents`' five per 256 events. Everything else (replaceable, addressable, kind 5, kind 62)
 * goes through `saveEvents` in file order: a deletion or request to vanish only affects what
 * comes after it, so the regular run before it is committed first and the run after it reads
 * the tombstones again.
 */
import type { RawEvent } from '@nrelay/protocol';
import { type Kysely, sql } from 'kysely';
import { type PreparedEvent, prepareEvent } from './prepare.js';
import { DEFAULT_SAVE_SETTINGS, type SaveSettings, saveEvents } from './save.js';
import type { StoreSchema } from './schema.js';
import { isInputError, isRetryable } from './sqlstate.js';
import type { SaveOutcome } from './types.js';
import { lockVanishRequests, vanishedIds } from './vanish.js';
import type { Executor } from './write.js';

/**
 * Most regular events in one bulk transaction. Large enough that the per-transaction round
 * trips and commit are a small share; small enough that one statement's arrays stay a few MB.
 */
const BULK_TRANSACTION_SIZE = 4000;

interface Item {
  index: number;
  raw: RawEvent;
  event: PreparedEvent;
  /** The event's tags (a gift wrap's `p` tags name whom NIP-62 checks it for). */
  tags: string[][];
}

/**
 * Saves events in input order with `saveEvents`' semantics and outcomes (duplicates inside the
 * batch and against stored rows, NIP-09 and NIP-62 tombstones, replaceable versions), writing
 * runs of regular events in bulk transactions. Each transaction commits whole or not at all;
 * a bulk transaction that fails on its input or loses a race is redone by `saveEvents`, which
 * retries and isolates a bad event. Errors that are not the input's fault reject the call.
 */
export async function bulkSaveEvents(
  db: Kysely<StoreSchema>,
  events: readonly RawEvent[],
  settings: Partial<SaveSettings> = {},
  signal?: AbortSignal,
): Promise<SaveOutcome[]> {
  const full: SaveSettings = { ...DEFAULT_SAVE_SETTINGS, ...settings };
  const outcomes: SaveOutcome[] = new Array(events.length);
  const firstIndex = new Map<string, number>();
  const repeats: Array<[number, number]> = [];
  const items: Item[] = [];
  events.forEach((raw, index) => {
    const first = firstIndex.get(raw.event.id);
    if (first !== undefined) {
      repeats.push([index, first]);
      return;
    }
    firstIndex.set(raw.event.id, index);
    const prepared = prepareEvent(raw, full.searchKinds);
    if ('invalid' in prepared) outcomes[index] = { status: 'invalid', message: prepared.invalid };
    else items.push({ index, raw, event: prepared, tags: raw.event.tags });
  });
  let start = 0;
  while (start < items.length) {
    signal?.throwIfAborted();
    const regular = (items[start] as Item).event.path === 'regular';
    const cap = regular ? BULK_TRANSACTION_SIZE : Number.POSITIVE_INFINITY;
    let end = start + 1;
    while (
      end < items.length &&
      end - start < cap &&
      ((items[end] as Item).event.path === 'regular') === regular
    ) {
      end++;
    }
    const run = items.slice(start, end);
    const results = regular
      ? await saveRegularRun(db, run, full, signal)
      : await saveEvents(
          db,
          run.map((i) => i.raw),
          full,
          signal,
        );
    run.forEach((item, j) => {
      outcomes[item.index] = results[j] as SaveOutcome;
    });
    start = end;
  }
  for (const [index, first] of repeats) {
    const outcome = outcomes[first] as SaveOutcome;
    outcomes[index] = outcome.status === 'stored' ? { status: 'duplicate' } : outcome;
  }
  return outcomes;
}

async function saveRegularRun(
  db: Kysely<StoreSchema>,
  run: readonly Item[],
  settings: SaveSettings,
  signal?: AbortSignal,
): Promise<SaveOutcome[]> {
  try {
    return await db.transaction().execute((trx) => writeRun(trx, run));
  } catch (err) {
    if (!isRetryable(err) && !isInputError(err)) throw err;
    // Rolled back whole: the careful path retries the race and answers a bad event alone.
    return saveEvents(
      db,
      run.map((i) => i.raw),
      settings,
      signal,
    );
  }
}

/** One transaction: NIP-62 check, then one statement for events, tags and NIP-09 tombstones. */
async function writeRun(trx: Executor, run: readonly Item[]): Promise<SaveOutcome[]> {
  await lockVanishRequests(trx, false);
  const vanished = await vanishedIds(trx, run);
  // Rows go in id order, so concurrent batches that share ids take their index locks in the
  // same order and do not deadlock on each other (as insertEvents does).
  const rows = run
    .map((i) => i.event)
    .filter((e) => !vanished.has(e.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const answers = rows.length === 0 ? new Map<string, string>() : await insertRun(trx, rows);
  return run.map(({ event }): SaveOutcome => {
    if (vanished.has(event.id)) return { status: 'vanished' };
    const answer = answers.get(event.id);
    return answer === 's'
      ? { status: 'stored' }
      : answer === 'd'
        ? { status: 'deleted' }
        : { status: 'duplicate' };
  });
}

/**
 * Inserts regular events (none of kind 5) and the tags of those inserted, skipping stored ids
 * and ids their author tombstoned (NIP-09 `e`), in one statement. Answers `s` per inserted id
 * and `d` per tombstoned one; the rest were already stored. The statement's CTEs share one
 * snapshot: the tombstones read are those before it, which regular events cannot change.
 */
async function insertRun(trx: Executor, events: readonly PreparedEvent[]): Promise<Map<string, string>> {
  const tagIds: string[] = [];
  const names: string[] = [];
  const keys: string[] = [];
  for (const e of events) {
    for (const tag of e.tags) {
      tagIds.push(e.id);
      names.push(tag.name);
      keys.push(tag.key);
    }
  }
  const { rows } = await sql<{ id: string; answer: string }>`
    with v as (
      select * from unnest(
        ${events.map((e) => e.id)}::text[], ${events.map((e) => e.pubkey)}::text[],
        ${events.map((e) => e.kind)}::int[], ${events.map((e) => e.createdAt)}::int8[],
        ${events.map((e) => e.raw)}::text[], ${events.map((e) => e.expiresAt)}::int8[],
        ${events.map((e) => e.searchText)}::text[]
      ) as v(id, pubkey, kind, created_at, raw, expires_at, search_text)
    ),
    tombstoned as (
      select v.id from v join deletions d on d.event_id = v.id and d.pubkey = v.pubkey
    ),
    ins as (
      insert into events (id, pubkey, kind, created_at, raw, replace_key, expires_at, search)
      select v.id, v.pubkey, v.kind, v.created_at, v.raw, null, v.expires_at,
        case when v.search_text is null then null else to_tsvector('simple', v.search_text) end
      from v where not exists (select 1 from tombstoned t where t.id = v.id)
      on conflict (id) do nothing
      returning id, kind, created_at, expires_at
    ),
    tags as (
      insert into event_tags (event_id, name, key, kind, created_at, expires_at)
      select t.event_id, t.name, t.key, ins.kind, ins.created_at, ins.expires_at
      from unnest(${tagIds}::text[], ${names}::text[], ${keys}::text[]) as t(event_id, name, key)
      join ins on ins.id = t.event_id
      on conflict do nothing
    )
    select id, 's' as answer from ins
    union all
    select id, 'd' as answer from tombstoned`.execute(trx);
  return new Map(rows.map((r) => [r.id, r.answer]));
}
