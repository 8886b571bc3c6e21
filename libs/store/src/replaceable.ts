import { sql } from 'kysely';
import type { PreparedEvent } from './prepare.js';
import type { SaveOutcome } from './types.js';
import { type Executor, insertEvents } from './write.js';

const STORED: SaveOutcome = { status: 'stored' };
const DUPLICATE: SaveOutcome = { status: 'duplicate' };
const DELETED: SaveOutcome = { status: 'deleted' };
const REPLACED_OLDER: SaveOutcome = { status: 'replaced-older' };

/**
 * Saves one replaceable or addressable event. The caller holds the advisory lock of its
 * replace key, so between the read of the current version and the write nobody else can
 * store another version of it; the unique index on replace_key is the safety net.
 * Newest created_at wins; on a tie the lowest id wins.
 */
export async function saveReplaceable(db: Executor, e: PreparedEvent): Promise<SaveOutcome> {
  const { rows } = await sql<{ deleted: boolean; id: string | null; created_at: number | null }>`
    select
      exists(select 1 from deletions where event_id = ${e.id} and pubkey = ${e.pubkey})
      or exists(select 1 from address_deletions where kind = ${e.kind} and pubkey = ${e.pubkey}
        and d = ${e.dKey} and until >= ${e.createdAt}) as deleted,
      c.id, c.created_at
    from (select 1) as one
    left join events c on c.replace_key = ${e.replaceKey}`.execute(db);
  const row = rows[0];
  if (row?.deleted) return DELETED;
  if (row?.id != null && row.created_at != null) {
    if (row.id === e.id) return DUPLICATE;
    if (row.created_at > e.createdAt || (row.created_at === e.createdAt && row.id < e.id)) {
      return REPLACED_OLDER;
    }
    await db.deleteFrom('events').where('id', '=', row.id).execute();
  }
  const inserted = await insertEvents(db, [e], false);
  return inserted.has(e.id) ? STORED : DUPLICATE;
}
