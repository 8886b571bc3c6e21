/**
 * The follows access mode reads stored events, not the access tables: whom the admins follow
 * (NIP-02 kind-3 lists). management.ts serves it as `ManagementStore.loadFollows`.
 */
import { type Kysely, sql } from 'kysely';
import type { StoreSchema } from './schema.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * follows mode: the pubkeys `p`-tagged in the stored kind-3 lists of `admins` (one per admin,
 * kind 3 being replaceable), read through the (pubkey, kind) index.
 */
export async function followedPubkeys(db: Kysely<StoreSchema>, admins: readonly string[]): Promise<string[]> {
  if (admins.length === 0) return [];
  const { rows } = await sql<{ raw: string }>`
    select e.raw from events e where e.pubkey = any(${[...admins]}::text[]) and e.kind = 3`.execute(db);
  const out = new Set<string>();
  for (const { raw } of rows) {
    let tags: unknown;
    try {
      tags = (JSON.parse(raw) as { tags?: unknown }).tags;
    } catch {
      continue;
    }
    if (!Array.isArray(tags)) continue;
    for (const tag of tags) {
      if (Array.isArray(tag) && tag[0] === 'p' && typeof tag[1] === 'string' && HEX64.test(tag[1])) {
        out.add(tag[1]);
      }
    }
  }
  return [...out];
}
