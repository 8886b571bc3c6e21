import type { RawEvent } from '@nrelay/protocol';
import type { Kysely } from 'kysely';
import { deletedAddresses, saveDeletion } from './deletion.js';
import { type PreparedEvent, prepareEvent } from './prepare.js';
import { saveReplaceable } from './replaceable.js';
import type { StoreSchema } from './schema.js';
import { isInputError, isRetryable, sqlState } from './sqlstate.js';
import { tombstonedIds } from './tombstones.js';
import type { SaveOutcome } from './types.js';
import { lockVanishRequests, saveVanish, vanishedIds } from './vanish.js';
import { type Executor, insertEvents, lockReplaceKeys } from './write.js';

/** Tunables of `save`, each a named decision. */
export interface SaveSettings {
  /**
   * Most events written in one transaction. Bounds how long a batch holds its locks and how
   * many advisory locks it takes (they share Postgres's lock table, sized by
   * max_locks_per_transaction × max_connections).
   */
  transactionSize: number;
  /** Attempts per transaction when it loses a race (23505, 40001, 40P01). */
  maxAttempts: number;
  /**
   * Kinds whose content gets a NIP-50 search vector (SEARCH_KINDS); the others are stored with
   * none, which saves the vector and its GIN entries on every reaction, repost and ciphertext.
   */
  searchKinds: ReadonlySet<number> | 'all';
}

/** Defaults of `SaveSettings`. */
export const DEFAULT_SAVE_SETTINGS: SaveSettings = {
  transactionSize: 256,
  maxAttempts: 5,
  searchKinds: 'all',
};

/** One input event prepared for the store, with its place in the input. */
export interface Pending {
  index: number;
  raw: RawEvent;
  event: PreparedEvent;
  tags: string[][];
}

/**
 * Saves events in input order and answers one outcome per input. Events go in transactions of
 * up to `transactionSize`; when one fails for good, its events are retried one per
 * transaction, so a single bad event is answered `invalid` and never costs the others.
 * Errors that are not the input's fault (connection lost, …) reject the call.
 */
export function saveEvents(
  db: Kysely<StoreSchema>,
  events: readonly RawEvent[],
  settings: SaveSettings,
  signal?: AbortSignal,
): Promise<SaveOutcome[]> {
  return saveInChunks(events, settings, signal, (chunk) => saveChunkSafely(db, chunk, settings));
}

/**
 * The frame of `saveEvents` and `bulkSaveEvents`: prepares each input once (a repeated id is
 * answered as its first, `duplicate` when that one was stored), hands the prepared events to
 * `saveChunk` `transactionSize` at a time, and answers one outcome per input, in input order.
 */
export async function saveInChunks(
  events: readonly RawEvent[],
  settings: SaveSettings,
  signal: AbortSignal | undefined,
  saveChunk: (chunk: Pending[]) => Promise<SaveOutcome[]>,
): Promise<SaveOutcome[]> {
  const outcomes: SaveOutcome[] = new Array(events.length);
  const firstIndex = new Map<string, number>();
  const repeats: Array<[number, number]> = [];
  const pending: Pending[] = [];
  events.forEach((raw, index) => {
    const first = firstIndex.get(raw.event.id);
    if (first !== undefined) {
      repeats.push([index, first]);
      return;
    }
    firstIndex.set(raw.event.id, index);
    const prepared = prepareEvent(raw, settings.searchKinds);
    if ('invalid' in prepared) outcomes[index] = { status: 'invalid', message: prepared.invalid };
    else pending.push({ index, raw, event: prepared, tags: raw.event.tags });
  });
  for (let start = 0; start < pending.length; start += settings.transactionSize) {
    signal?.throwIfAborted();
    const chunk = pending.slice(start, start + settings.transactionSize);
    const results = await saveChunk(chunk);
    chunk.forEach((item, j) => {
      outcomes[item.index] = results[j] as SaveOutcome;
    });
  }
  for (const [index, first] of repeats) {
    const outcome = outcomes[first] as SaveOutcome;
    outcomes[index] = outcome.status === 'stored' ? { status: 'duplicate' } : outcome;
  }
  return outcomes;
}

async function saveChunkSafely(db: Kysely<StoreSchema>, chunk: Pending[], settings: SaveSettings) {
  try {
    return await withRetry(
      () => db.transaction().execute((trx) => saveChunk(trx, chunk)),
      settings.maxAttempts,
    );
  } catch (err) {
    if (chunk.length > 1) {
      const results: SaveOutcome[] = [];
      for (const item of chunk) results.push(...(await saveChunkSafely(db, [item], settings)));
      return results;
    }
    if (!isInputError(err)) throw err;
    const message = `could not store event (SQLSTATE ${sqlState(err)}): ${(err as Error).message}`;
    return [{ status: 'invalid', message } satisfies SaveOutcome];
  }
}

/**
 * The start of every saving transaction (this file's and bulk-save.ts's): the `vanish_requests`
 * lock (exclusive when the chunk holds a request), the advisory locks of the replace keys it
 * writes or deletes, in one order; answers the chunk's ids a NIP-62 request already covers.
 */
export async function beginChunk(
  trx: Executor,
  chunk: ReadonlyArray<{ event: PreparedEvent; tags: string[][] }>,
): Promise<Set<string>> {
  const keys: string[] = [];
  let appliesVanish = false;
  for (const { event, tags } of chunk) {
    if (event.path === 'replaceable' && event.replaceKey !== null) keys.push(event.replaceKey);
    if (event.path === 'deletion') keys.push(...deletedAddresses(event, tags).map((a) => a.replaceKey));
    if (event.path === 'vanish') appliesVanish = true;
  }
  await lockVanishRequests(trx, appliesVanish);
  await lockReplaceKeys(trx, keys);
  return vanishedIds(trx, chunk);
}

/** One transaction: regular events in multi-row inserts, the others one by one, in order. */
async function saveChunk(trx: Executor, chunk: readonly Pending[]): Promise<SaveOutcome[]> {
  // NIP-62 tombstones, read once; read again for the rest of the chunk after a request in it.
  let vanished = await beginChunk(trx, chunk);
  const results: SaveOutcome[] = new Array(chunk.length);
  let run: number[] = [];
  // A deletion request only affects what comes after it, so consecutive regular events are
  // written together and the run is flushed before any other event.
  const flush = async () => {
    if (run.length === 0) return;
    const batch = run.map((j) => (chunk[j] as Pending).event);
    const inserted = await insertEvents(trx, batch, true);
    const tombstoned = await tombstonedIds(
      trx,
      batch.filter((e) => !inserted.has(e.id)),
    );
    for (const j of run) {
      const id = (chunk[j] as Pending).event.id;
      results[j] = inserted.has(id)
        ? { status: 'stored' }
        : tombstoned.has(id)
          ? { status: 'deleted' }
          : { status: 'duplicate' };
    }
    run = [];
  };
  for (let j = 0; j < chunk.length; j++) {
    const { event, tags } = chunk[j] as Pending;
    if (vanished.has(event.id)) {
      results[j] = { status: 'vanished' };
      continue;
    }
    if (event.path === 'regular') {
      run.push(j);
      continue;
    }
    await flush();
    if (event.path === 'vanish') {
      results[j] = await saveVanish(trx, event);
      if (results[j]?.status === 'stored') vanished = await vanishedIds(trx, chunk.slice(j + 1));
      continue;
    }
    results[j] =
      event.path === 'replaceable' ? await saveReplaceable(trx, event) : await saveDeletion(trx, event, tags);
  }
  await flush();
  return results;
}

/** Runs `fn` again (after a short random pause) when it loses a race to another writer. */
async function withRetry<T>(fn: () => Promise<T>, maxAttempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= maxAttempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
