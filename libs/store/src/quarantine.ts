/**
 * Hiding banned events by moving them out of `events` (docs/adr/0005-bans-hide-events.md).
 * A row in `events` is visible to every read path (REQ, COUNT, search, ids); a quarantined
 * one to none, so the read paths need no extra predicate and keep their index-only plans.
 */
import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import { type RawBuilder, sql } from 'kysely';
import { DEFAULT_SAVE_SETTINGS, saveEvents } from './save.js';
import type { Executor } from './write.js';

/** Rows restored per round trip (one `saveEvents` call each). */
const RESTORE_PAGE = 500;

/** Moves the stored events selected by `where` into quarantine; returns how many moved. */
async function quarantineWhere(db: Executor, where: RawBuilder<unknown>, now: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with moved as (delete from events where ${where} returning id, pubkey, raw),
    kept as (
      insert into quarantined_events (id, pubkey, raw, quarantined_at)
      select id, pubkey, raw, ${now}::int8 from moved
      on conflict (id) do nothing
    )
    select count(*)::int as n from moved`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Moves the stored events of `pubkey` into quarantine (their tags go with the rows, by the
 * cascade). Run it in the transaction that records the ban. Returns how many were hidden.
 */
export function quarantinePubkey(db: Executor, pubkey: string, now: number): Promise<number> {
  return quarantineWhere(db, sql`pubkey = ${pubkey}`, now);
}

/** Moves one stored event into quarantine; returns 1 when it was stored, else 0. */
export function quarantineEvent(db: Executor, id: string, now: number): Promise<number> {
  return quarantineWhere(db, sql`id = ${id}`, now);
}

/** Which quarantined events an unban concerns. */
export type RestoreScope = { pubkey: string } | { id: string };

/**
 * Saves back the quarantined events of `scope` that no ban covers any more (neither their
 * author nor their id is banned), through the normal write path: replaceable, addressable
 * and NIP-09 rules apply as if they had just arrived, and nothing is published live. Each
 * page is removed from quarantine once saved; an event the store refuses (it cannot happen
 * for an event it once held) stays there. Returns how many events are visible again.
 */
export async function restoreQuarantined(db: Executor, scope: RestoreScope): Promise<number> {
  const match = 'pubkey' in scope ? sql`q.pubkey = ${scope.pubkey}` : sql`q.id = ${scope.id}`;
  let after = '';
  let restored = 0;
  for (;;) {
    const { rows } = await sql<{ id: string; raw: string }>`
      select q.id, q.raw from quarantined_events q
      where ${match} and q.id > ${after}
        and not exists (select 1 from acl_pubkeys a where a.pubkey = q.pubkey and a.level = 'none')
        and not exists (select 1 from banned_events b where b.id = q.id)
      order by q.id limit ${RESTORE_PAGE}`.execute(db);
    if (rows.length === 0) return restored;
    after = rows[rows.length - 1]!.id;
    const events: RawEvent[] = [];
    for (const row of rows) {
      try {
        events.push({ event: JSON.parse(row.raw) as NostrEvent, raw: row.raw });
      } catch {
        // Unparseable text never entered `events`; leave it where an operator can look at it.
      }
    }
    const outcomes = await saveEvents(db, events, DEFAULT_SAVE_SETTINGS);
    const done = events.filter((_, i) => outcomes[i]?.status !== 'invalid').map((e) => e.event.id);
    restored += outcomes.filter((o) => o.status === 'stored').length;
    if (done.length > 0) {
      await sql`delete from quarantined_events where id = any(${done}::text[])`.execute(db);
    }
    if (rows.length < RESTORE_PAGE) return restored;
  }
}
