/**
 * NIP-62 requests to vanish (kind 62; docs/adr/0021-vanish-and-hll.md). Applying one deletes,
 * in the saving transaction, every event of its pubkey with created_at ≤ the request's (kind 5
 * included), every kind 1059 gift wrap p-tagging the pubkey up to the same time, and the
 * pubkey's quarantined events up to it; a row in `vanish_requests` then refuses all of them
 * for good (`vanished`). The request is kept in that row, not in `events`: a NIP-09 deletion
 * cannot reach it, and it works again after a restart.
 *
 * Whether a request names this relay is the ingest pipeline's check (the store cannot know the
 * relay's URL); the store applies every kind 62 it is given.
 *
 * Races: a transaction that saves events takes `vanish_requests` in SHARE mode before it reads
 * the tombstones; one that applies a request takes SHARE ROW EXCLUSIVE, which waits for every
 * saving transaction in flight and holds new ones off until it commits. So no event of the
 * pubkey can be checked before the request commits and inserted after its deletes ran. Requests
 * are rare; the lock a saving transaction takes conflicts with nothing else.
 */
import { sql } from 'kysely';
import { indexKey } from './index-key.js';
import type { PreparedEvent } from './prepare.js';
import type { SaveOutcome } from './types.js';
import type { Executor } from './write.js';

/** The kind of a NIP-59 gift wrap: vanished along with the pubkey it p-tags. */
const GIFT_WRAP_KIND = 1059;

/** The created_at of an event's JSON text (the first group). */
const QUARANTINED_CREATED_AT = '"created_at"\\s*:\\s*(\\d+)';

const STORED: SaveOutcome = { status: 'stored' };
const DUPLICATE: SaveOutcome = { status: 'duplicate' };
const VANISHED: SaveOutcome = { status: 'vanished' };

/** An event about to be saved, with its tags (a gift wrap's `p` tags name whom it is for). */
export interface VanishCandidate {
  event: PreparedEvent;
  tags: readonly string[][];
}

/**
 * Takes the table lock that orders this transaction against requests to vanish (see above):
 * exclusive among appliers when the batch holds a request, shared otherwise.
 */
export async function lockVanishRequests(db: Executor, appliesRequest: boolean): Promise<void> {
  if (appliesRequest) await sql`lock table vanish_requests in share row exclusive mode`.execute(db);
  else await sql`lock table vanish_requests in share mode`.execute(db);
}

/** The pubkeys whose tombstones decide whether `c` may be stored: its author, and a gift wrap's recipients. */
function keysOf(c: VanishCandidate): string[] {
  const keys = [c.event.pubkey];
  if (c.event.kind !== GIFT_WRAP_KIND) return keys;
  for (const [name, value] of c.tags) if (name === 'p' && value !== undefined) keys.push(value);
  return keys;
}

/**
 * The ids among `candidates` that a stored request to vanish refuses: the author's events
 * created at or before it, and gift wraps p-tagging its pubkey created at or before it.
 * Requests themselves (kind 62) are left to `saveVanish`. One statement.
 */
export async function vanishedIds(
  db: Executor,
  candidates: readonly VanishCandidate[],
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const c of candidates) if (c.event.path !== 'vanish') for (const k of keysOf(c)) keys.add(k);
  if (keys.size === 0) return new Set();
  const { rows } = await sql<{ pubkey: string; until: number }>`
    select pubkey, until from vanish_requests where pubkey = any(${[...keys]}::text[])`.execute(db);
  if (rows.length === 0) return new Set();
  const until = new Map(rows.map((r) => [r.pubkey, Number(r.until)]));
  const out = new Set<string>();
  for (const c of candidates) {
    if (c.event.path === 'vanish') continue;
    if (keysOf(c).some((k) => (until.get(k) ?? Number.NEGATIVE_INFINITY) >= c.event.createdAt)) {
      out.add(c.event.id);
    }
  }
  return out;
}

/**
 * Applies one request to vanish (the caller holds the lock of `lockVanishRequests(db, true)`).
 * The same request again is a duplicate; one no newer than the request already applied is
 * itself covered by it (`vanished`).
 */
export async function saveVanish(db: Executor, e: PreparedEvent): Promise<SaveOutcome> {
  const { rows } = await sql<{ until: number; request_id: string }>`
    select until, request_id from vanish_requests where pubkey = ${e.pubkey}`.execute(db);
  const current = rows[0];
  if (current?.request_id === e.id) return DUPLICATE;
  if (current !== undefined && Number(current.until) >= e.createdAt) return VANISHED;
  await sql`
    insert into vanish_requests (pubkey, until, request_id, raw, applied_at)
    values (${e.pubkey}, ${e.createdAt}::int8, ${e.id}, ${e.raw}, ${Math.floor(Date.now() / 1000)}::int8)
    on conflict (pubkey) do update set until = excluded.until, request_id = excluded.request_id,
      raw = excluded.raw, applied_at = excluded.applied_at`.execute(db);
  await sql`delete from events where pubkey = ${e.pubkey} and created_at <= ${e.createdAt}::int8`.execute(db);
  await sql`
    delete from events where id in (
      select t.event_id from event_tags t
      where t.name = 'p' and t.key = ${indexKey(e.pubkey)} and t.kind = ${GIFT_WRAP_KIND}
        and t.created_at <= ${e.createdAt}::int8)`.execute(db);
  // created_at read from the text by pattern: a JSON cast (json or jsonb) fails on a \u0000
  // escape anywhere in it, and one odd event must not fail the request. Inside strings a quote
  // is escaped, so only the event's own key matches.
  await sql`
    delete from quarantined_events
    where pubkey = ${e.pubkey}
      and substring(raw from ${QUARANTINED_CREATED_AT})::int8 <= ${e.createdAt}::int8`.execute(db);
  return STORED;
}
