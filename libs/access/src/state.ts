/**
 * The run-time access-control state every gateway and ingest worker consults: pubkey levels,
 * banned events, allowed kinds, blocked IPs and relay-info overrides. Management (NIP-86)
 * changes it in Postgres and announces the change; each process reloads its copy, so lookups
 * on the hot path are synchronous, in-memory reads.
 */

/** Per-pubkey access level. `none` is a ban. */
export type AccessLevel = 'none' | 'read' | 'write' | 'admin';

/** Relay information an admin may change at run time (NIP-86), and the relay's stored identity. */
export interface RelayInfoOverrides {
  name?: string;
  description?: string;
  icon?: string;
  /** NIP-11 `self`: the pubkey generated for this relay's database (RELAY_SELF wins over it). */
  self?: string;
}

/** Synchronous, in-memory view of the access-control state. */
export interface AccessState {
  /** The explicit level of a pubkey (ban = 'none'); undefined when no rule names it. */
  levelOf(pubkey: string): AccessLevel | undefined;
  /** follows mode: whether a configured admin follows this pubkey (kind 3). */
  isFollowed(pubkey: string): boolean;
  isEventBanned(id: string): boolean;
  /** True when no kind allowlist is set, or the kind is on it. */
  isKindAllowed(kind: number): boolean;
  /** NIP-86 `blockip` entries (exact IPs or CIDRs). */
  isIpBlocked(ip: string): boolean;
  relayInfo(): RelayInfoOverrides;
}

/** A state that names nobody: everything falls back to the access mode's default. */
export const EMPTY_ACCESS_STATE: AccessState = {
  levelOf: () => undefined,
  isFollowed: () => false,
  isEventBanned: () => false,
  isKindAllowed: () => true,
  isIpBlocked: () => false,
  relayInfo: () => ({}),
};
