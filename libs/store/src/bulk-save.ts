/**
 * A bulk write path for large batches (`nrelay import`, ADR 0020). Same outcomes as
 * `saveEvents`, fewer round trips: all the regular events of a transaction between two NIP-09
 * or NIP-62 requests are written by ONE statement (events, their tags and the NIP-09
 * tombstoned ones answered together), where `saveEvents` writes each run of regular events
 * between any two non-regular events with two or three. Regular events may wait past
 * replaceable and addressable ones: neither can change the other's outcome (only kinds 5 and 62
 * leave tombstones, and a kind 5 deletes what is stored when it applies). They never wait past
 * a kind 5 or 62, which only affects what comes after it.
 */
import type { RawEvent } from '@nrelay/protocol';
import { type Kysely, sql } from 'kysely';
import { saveDeletion } from './deletion.js';
import type { PreparedEvent } from './prepare.js';
import { saveReplaceable } from './replaceable.js';
import {
  beginChunk,
  DEFAULT_SAVE_SETTINGS,
  type Pending,
  type SaveSettings,
  saveEvents,
  saveInChunks,
} from './save.js';
import type { StoreSchema } from './schema.js';
import { isInputError, isRetryable } from './sqlstate.js';
import type { SaveOutcome } from './types.js';
import { saveVanish, vanishedIds } from './vanish.js';
import type { Executor } from './write.js';

/**
 * Saves events in input order with `saveEvents`' semantics and outcomes (duplicates inside the
 * batch and against stored rows, NIP-09 and NIP-62 tombstones, replaceable versions), in
 * transactions of up to `transactionSize` events, each committed whole or not at all. A
 * transaction that fails on its input or loses a race is redone by `saveEvents`, which retries
 * and isolates a bad event. Errors that are not the input's fault reject the call.
 */
export function bulkSaveEvents(
  db: Kysely<StoreSchema>,
  events: readonly RawEvent[],
  settings: Partial<SaveSettings> = {},
  signal?: AbortSignal,
): Promise<SaveOutcome[]> {
  const full: SaveSettings = { ...DEFAULT_SAVE_SETTINGS, ...settings };
  return saveInChunks(events, full, signal, (chunk) => saveChunkOrFallBack(db, chunk, full, signal));
}

async function saveChunkOrFallBack(
  db: Kysely<StoreSchema>,
  chunk: readonly Pending[],
  settings: SaveSettings,
  signal?: AbortSignal,
): Promise<SaveOutcome[]> {
  try {
    return await db.transaction().execute((trx) => saveChunk(trx, chunk));
  } catch (err) {
    if (!isRetryable(err) && !isInputError(err)) throw err;
    // Rolled back whole: the careful path retries the race and answers a bad event alone.
    return saveEvents(
      db,
      chunk.map((i) => i.raw),
      settings,
      signal,
    );
  }
}

/** One transaction, as save.ts's, with the regular events held back until a kind 5 or 62. */
async function saveChunk(trx: Executor, chunk: readonly Pending[]): Promise<SaveOutcome[]> {
  // NIP-62 tombstones, read once; read again for the rest of the chunk after a request in it.
  let vanished = await beginChunk(trx, chunk);
  const results: SaveOutcome[] = new Array(chunk.length);
  let held: number[] = [];
  const flush = async () => {
    if (held.length === 0) return;
    const answers = await insertRegular(
      trx,
      held.map((j) => (chunk[j] as Pending).event),
    );
    for (const j of held) {
      const answer = answers.get((chunk[j] as Pending).event.id);
      results[j] = { status: answer === 's' ? 'stored' : answer === 'd' ? 'deleted' : 'duplicate' };
    }
    held = [];
  };
  for (let j = 0; j < chunk.length; j++) {
    const { event, tags } = chunk[j] as Pending;
    if (vanished.has(event.id)) results[j] = { status: 'vanished' };
    else if (event.path === 'regular') held.push(j);
    else if (event.path === 'replaceable') results[j] = await saveReplaceable(trx, event);
    else {
      await flush();
      if (event.path === 'deletion') results[j] = await saveDeletion(trx, event, tags);
      else {
        results[j] = await saveVanish(trx, event);
        if (results[j]?.status === 'stored') vanished = await vanishedIds(trx, chunk.slice(j + 1));
      }
    }
  }
  await flush();
  return results;
}

/**
 * Inserts regular events (none of kind 5) and the tags of those inserted, skipping stored ids
 * and ids their author tombstoned (NIP-09 `e`), in one statement. Answers `s` per inserted id
 * and `d` per tombstoned one; the rest were already stored. The statement's CTEs share one
 * snapshot: the tombstones read are those before it, which regular events cannot change.
 */
async function insertRegular(trx: Executor, events: readonly PreparedEvent[]): Promise<Map<string, string>> {
  // Rows go in id order, so concurrent batches that share ids take their index locks in the
  // same order and do not deadlock on each other (as insertEvents does).
  events = [...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
