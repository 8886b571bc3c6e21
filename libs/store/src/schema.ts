/**
 * Row types of the store's tables, as Kysely sees them. `bigint` columns are read as JS numbers
 * (see `createDatabase`): Nostr timestamps and counts fit in 2^53.
 */

/** One stored event. `raw` is the exact JSON text it arrived as. */
export interface EventsTable {
  id: string;
  pubkey: string;
  kind: number;
  created_at: number;
  raw: string;
  /** `indexKey` of `kind:pubkey` / `kind:pubkey:d` for replaceable and addressable kinds. */
  replace_key: string | null;
  /** NIP-40 expiration in seconds, when the event has one. */
  expires_at: number | null;
  /** `to_tsvector('simple', content)` for events with non-empty content. */
  search: string | null;
}

/** One indexed single-letter tag of a stored event (kind, created_at, expires_at copied from it). */
export interface EventTagsTable {
  event_id: string;
  name: string;
  /** `indexKey(value)`: the value itself, or a hash of it when it is long or unusual. */
  key: string;
  kind: number;
  created_at: number;
  expires_at: number | null;
}

/** NIP-09 `e` tombstone: `pubkey` asked for `event_id` to be deleted. */
export interface DeletionsTable {
  event_id: string;
  pubkey: string;
}

/** NIP-09 `a` tombstone: versions of the address up to `until` stay deleted. */
export interface AddressDeletionsTable {
  kind: number;
  pubkey: string;
  /** `indexKey` of the d tag; '' for replaceable kinds. */
  d: string;
  until: number;
}

/** The store's database as Kysely sees it. */
export interface StoreSchema {
  events: EventsTable;
  event_tags: EventTagsTable;
  deletions: DeletionsTable;
  address_deletions: AddressDeletionsTable;
}
