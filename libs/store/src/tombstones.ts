/**
 * NIP-09 tombstones: what deletion requests (deletion.ts) left behind. `deletions` holds an
 * author's `e` deletions, `address_deletions` the newest created_at deleted at an address; an
 * event they name is answered `deleted` and never stored again.
 */
import { sql } from 'kysely';
import type { PreparedEvent } from './prepare.js';
import type { Executor } from './write.js';

/** Ids among `events` that their author has tombstoned with a NIP-09 `e` deletion. */
export async function tombstonedIds(db: Executor, events: readonly PreparedEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    select d.event_id as id from deletions d
    join unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.pubkey)}::text[]) as v(id, pubkey)
      on d.event_id = v.id and d.pubkey = v.pubkey`.execute(db);
  return new Set(rows.map((r) => r.id));
}
