/**
 * NIP-09 deletion requests (kind 5): applying one deletes the author's named events and leaves
 * tombstones (tables `deletions` and `address_deletions`, read back in tombstones.ts) so the
 * deleted events are never stored again.
 */
import { kindClass, parseAddress } from '@nrelay/protocol';
import { sql } from 'kysely';
import { indexKey } from './index-key.js';
import { addressString, type PreparedEvent } from './prepare.js';
import type { SaveOutcome } from './types.js';
import { type Executor, insertEvents } from './write.js';

const STORED: SaveOutcome = { status: 'stored' };
const DUPLICATE: SaveOutcome = { status: 'duplicate' };

/** The `a` tags of a deletion request that name the author's own replaceable/addressable events. */
export function deletedAddresses(
  e: PreparedEvent,
  tags: readonly string[][],
): Array<{ kind: number; dKey: string; replaceKey: string }> {
  const found = new Map<string, { kind: number; dKey: string; replaceKey: string }>();
  for (const [name, value] of tags) {
    if (name !== 'a' || value === undefined) continue;
    const address = parseAddress(value);
    if (!address || address.pubkey !== e.pubkey) continue;
    const replace = addressString(address.kind, address.pubkey, address.d);
    if (replace === undefined) continue;
    const d = kindClass(address.kind) === 'addressable' ? address.d : '';
    found.set(replace, { kind: address.kind, dKey: indexKey(d), replaceKey: indexKey(replace) });
  }
  return [...found.values()];
}

/**
 * Stores a NIP-09 deletion request and applies it: the author's own events named by `e` tags
 * (except other deletion requests) and the author's versions of `a` addresses up to the
 * request's created_at are deleted, and tombstones keep them from being stored again.
 * A request already stored is a duplicate and is not applied twice.
 */
export async function saveDeletion(
  db: Executor,
  e: PreparedEvent,
  tags: readonly string[][],
): Promise<SaveOutcome> {
  const inserted = await insertEvents(db, [e], false);
  if (!inserted.has(e.id)) return DUPLICATE;
  const ids = [...new Set(tags.filter((t) => t[0] === 'e' && t[1] !== undefined).map((t) => t[1] as string))];
  if (ids.length > 0) {
    await db
      .deleteFrom('events')
      .where('id', 'in', ids)
      .where('pubkey', '=', e.pubkey)
      .where('kind', '<>', 5)
      .execute();
    await sql`
      insert into deletions (event_id, pubkey)
      select unnest(${ids}::text[]), ${e.pubkey}
      on conflict do nothing`.execute(db);
  }
  const addresses = deletedAddresses(e, tags);
  if (addresses.length > 0) {
    await db
      .deleteFrom('events')
      .where(
        'replace_key',
        'in',
        addresses.map((a) => a.replaceKey),
      )
      .where('pubkey', '=', e.pubkey)
      .where('created_at', '<=', e.createdAt)
      .execute();
    await sql`
      insert into address_deletions (kind, pubkey, d, until)
      select k, ${e.pubkey}, d, ${e.createdAt}::int8
      from unnest(${addresses.map((a) => a.kind)}::int[], ${addresses.map((a) => a.dKey)}::text[]) as v(k, d)
      on conflict (kind, pubkey, d) do update
        set until = greatest(address_deletions.until, excluded.until)`.execute(db);
  }
  return STORED;
}
