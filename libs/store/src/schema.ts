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

/** Per-pubkey access level (migration 0002); 'none' is a ban. */
export interface AclPubkeysTable {
  pubkey: string;
  level: 'none' | 'read' | 'write' | 'admin';
  reason: string | null;
  updated_at: number;
}

/** A banned event id (NIP-86 `banevent`). */
export interface BannedEventsTable {
  id: string;
  reason: string | null;
  updated_at: number;
}

/** A kind on the allowlist (`allowed`) or disallowed (`!allowed`). */
export interface KindRulesTable {
  kind: number;
  allowed: boolean;
  updated_at: number;
}

/** A NIP-86 `blockip` entry: an address or a CIDR. */
export interface BlockedIpsTable {
  ip: string;
  reason: string | null;
  updated_at: number;
}

/** A relay information override (`name`, `description`, `icon`). */
export interface RelaySettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** A stored event hidden by a ban, kept to be restored on unban (docs/adr/0005). */
export interface QuarantinedEventsTable {
  id: string;
  pubkey: string;
  raw: string;
  quarantined_at: number;
}

/** A NIP-62 request to vanish (migration 0004): the pubkey's events up to `until` stay deleted. */
export interface VanishRequestsTable {
  pubkey: string;
  until: number;
  /** The id and JSON text of the newest request applied. */
  request_id: string;
  raw: string;
  /** Seconds, when it was applied. */
  applied_at: number;
}

/** The store's database as Kysely sees it. */
export interface StoreSchema {
  events: EventsTable;
  event_tags: EventTagsTable;
  deletions: DeletionsTable;
  address_deletions: AddressDeletionsTable;
  acl_pubkeys: AclPubkeysTable;
  banned_events: BannedEventsTable;
  kind_rules: KindRulesTable;
  blocked_ips: BlockedIpsTable;
  relay_settings: RelaySettingsTable;
  quarantined_events: QuarantinedEventsTable;
  vanish_requests: VanishRequestsTable;
}
