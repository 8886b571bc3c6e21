/**
 * Reads and writes of the access-control state (migration 0002): pubkey levels, banned
 * events, kind rules, blocked IPs and relay-information overrides. NIP-86 management writes
 * through these; every process reads the whole state with `loadAccessSnapshot` at start and
 * on each change announcement. Bans also hide stored events (see quarantine.ts).
 */
import type { Kysely } from 'kysely';
import { followedPubkeys } from './follows.js';
import { quarantineEvent, quarantinePubkey, restoreQuarantined } from './quarantine.js';
import type { StoreSchema } from './schema.js';

/** Per-pubkey access level; 'none' is a ban. */
export type PubkeyLevel = 'none' | 'read' | 'write' | 'admin';

/** Relay information an admin may override. */
export type RelayInfoKey = 'name' | 'description' | 'icon';

/** One row of `acl_pubkeys` as listed. */
export interface PubkeyLevelEntry {
  pubkey: string;
  level: PubkeyLevel;
  reason: string | null;
}

/** The whole access-control state, as each process holds it in memory. */
export interface AccessSnapshotRows {
  pubkeys: Array<{ pubkey: string; level: PubkeyLevel }>;
  bannedEvents: string[];
  kindRules: Array<{ kind: number; allowed: boolean }>;
  blockedIps: string[];
  /** NIP-86 overrides, and `self`: the relay's generated pubkey (migration 0005; not changeable by NIP-86). */
  relayInfo: Partial<Record<RelayInfoKey | 'self', string>>;
}

/** What a pubkey-level change did to stored events. */
export interface LevelChange {
  /** Stored events hidden by a new ban. */
  hidden: number;
  /** Quarantined events visible again after a ban was lifted. */
  restored: number;
}

type Db = Kysely<StoreSchema>;

const RELAY_INFO_KEYS: readonly string[] = ['name', 'description', 'icon'];

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Sets a pubkey's level. A new ban ('none') hides the pubkey's stored events in the same
 * transaction; lifting a ban restores them (after the commit, through the write path).
 */
export async function setPubkeyLevel(
  db: Db,
  pubkey: string,
  level: PubkeyLevel,
  reason: string | null = null,
  keepAdmin = false,
): Promise<LevelChange> {
  const now = nowSeconds();
  const { previous, hidden } = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('acl_pubkeys')
      .select('level')
      .where('pubkey', '=', pubkey)
      .forUpdate()
      .executeTakeFirst();
    const previous = row?.level;
    const next = keepAdmin && previous === 'admin' ? 'admin' : level;
    await trx
      .insertInto('acl_pubkeys')
      .values({ pubkey, level: next, reason, updated_at: now })
      .onConflict((oc) => oc.column('pubkey').doUpdateSet({ level: next, reason, updated_at: now }))
      .execute();
    const hidden = next === 'none' ? await quarantinePubkey(trx, pubkey, now) : 0;
    return { previous, hidden };
  });
  const restored = previous === 'none' && level !== 'none' ? await restoreQuarantined(db, { pubkey }) : 0;
  return { hidden, restored };
}

/**
 * NIP-86 `allowpubkey`: level 'write' (an admin stays admin), lifting a ban if there was one.
 */
export function allowPubkey(db: Db, pubkey: string, reason: string | null = null): Promise<LevelChange> {
  return setPubkeyLevel(db, pubkey, 'write', reason, true);
}

/**
 * Deletes a pubkey's rule when its level is one of `levels` (`unbanpubkey`: ['none'];
 * `unallowpubkey`: the others). Lifting a ban restores the pubkey's hidden events.
 */
export async function removePubkeyLevel(
  db: Db,
  pubkey: string,
  levels: readonly PubkeyLevel[],
): Promise<LevelChange> {
  if (levels.length === 0) return { hidden: 0, restored: 0 };
  const removed = await db
    .deleteFrom('acl_pubkeys')
    .where('pubkey', '=', pubkey)
    .where('level', 'in', [...levels])
    .returning('level')
    .executeTakeFirst();
  const restored = removed?.level === 'none' ? await restoreQuarantined(db, { pubkey }) : 0;
  return { hidden: 0, restored };
}

/** The pubkeys whose level is one of `levels`, oldest change first. */
export async function listPubkeyLevels(db: Db, levels: readonly PubkeyLevel[]): Promise<PubkeyLevelEntry[]> {
  if (levels.length === 0) return [];
  return db
    .selectFrom('acl_pubkeys')
    .select(['pubkey', 'level', 'reason'])
    .where('level', 'in', [...levels])
    .orderBy('updated_at')
    .orderBy('pubkey')
    .execute();
}

/** Bans an event id (stored or not): a stored event is hidden at once. Returns how many were hidden. */
export async function banEvent(db: Db, id: string, reason: string | null = null): Promise<number> {
  const now = nowSeconds();
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('banned_events')
      .values({ id, reason, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ reason, updated_at: now }))
      .execute();
    return quarantineEvent(trx, id, now);
  });
}

/** Lifts an event ban; the event is visible again unless its author is banned. Returns 1 if restored. */
export async function unbanEvent(db: Db, id: string): Promise<number> {
  const removed = await db.deleteFrom('banned_events').where('id', '=', id).executeTakeFirst();
  return Number(removed.numDeletedRows) > 0 ? restoreQuarantined(db, { id }) : 0;
}

/** Banned event ids, oldest ban first. */
export function listBannedEvents(db: Db): Promise<Array<{ id: string; reason: string | null }>> {
  return db
    .selectFrom('banned_events')
    .select(['id', 'reason'])
    .orderBy('updated_at')
    .orderBy('id')
    .execute();
}

/**
 * NIP-86 `allowkind`: afterwards the kind is accepted. Lifting a `disallowkind` is enough
 * when no allowlist is in force; otherwise the kind joins the allowlist (which, when it was
 * empty, starts restricting every other kind).
 */
export async function allowKind(db: Db, kind: number): Promise<void> {
  const now = nowSeconds();
  await db.transaction().execute(async (trx) => {
    const lifted = await trx
      .deleteFrom('kind_rules')
      .where('kind', '=', kind)
      .where('allowed', '=', false)
      .executeTakeFirst();
    if (Number(lifted.numDeletedRows) > 0) {
      const allowlist = await trx
        .selectFrom('kind_rules')
        .select('kind')
        .where('allowed', '=', true)
        .limit(1)
        .executeTakeFirst();
      if (allowlist === undefined) return;
    }
    await trx
      .insertInto('kind_rules')
      .values({ kind, allowed: true, updated_at: now })
      .onConflict((oc) => oc.column('kind').doUpdateSet({ allowed: true, updated_at: now }))
      .execute();
  });
}

/** NIP-86 `disallowkind`: the kind leaves the allowlist and is refused from now on. */
export async function disallowKind(db: Db, kind: number): Promise<void> {
  const now = nowSeconds();
  await db
    .insertInto('kind_rules')
    .values({ kind, allowed: false, updated_at: now })
    .onConflict((oc) => oc.column('kind').doUpdateSet({ allowed: false, updated_at: now }))
    .execute();
}

/** Every kind rule, by kind. */
export function listKindRules(db: Db): Promise<Array<{ kind: number; allowed: boolean }>> {
  return db.selectFrom('kind_rules').select(['kind', 'allowed']).orderBy('kind').execute();
}

/** Adds (or re-reasons) a `blockip` entry; `ip` is an address or a CIDR, already validated. */
export async function blockIp(db: Db, ip: string, reason: string | null = null): Promise<void> {
  const now = nowSeconds();
  await db
    .insertInto('blocked_ips')
    .values({ ip, reason, updated_at: now })
    .onConflict((oc) => oc.column('ip').doUpdateSet({ reason, updated_at: now }))
    .execute();
}

/** Removes a `blockip` entry (the same text it was added with); returns whether one existed. */
export async function unblockIp(db: Db, ip: string): Promise<boolean> {
  const removed = await db.deleteFrom('blocked_ips').where('ip', '=', ip).executeTakeFirst();
  return Number(removed.numDeletedRows) > 0;
}

/** `blockip` entries, oldest first. */
export function listBlockedIps(db: Db): Promise<Array<{ ip: string; reason: string | null }>> {
  return db.selectFrom('blocked_ips').select(['ip', 'reason']).orderBy('updated_at').orderBy('ip').execute();
}

/** Overrides a relay information field; `null` goes back to the configured value. */
export async function setRelayInfo(db: Db, key: RelayInfoKey, value: string | null): Promise<void> {
  if (value === null) {
    await db.deleteFrom('relay_settings').where('key', '=', key).execute();
    return;
  }
  const now = nowSeconds();
  await db
    .insertInto('relay_settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

/** Reads the whole access-control state (five small tables). */
export async function loadAccessSnapshot(db: Db): Promise<AccessSnapshotRows> {
  const pubkeys = await db.selectFrom('acl_pubkeys').select(['pubkey', 'level']).execute();
  const events = await db.selectFrom('banned_events').select('id').execute();
  const kindRules = await listKindRules(db);
  const ips = await db.selectFrom('blocked_ips').select('ip').execute();
  const settings = await db.selectFrom('relay_settings').select(['key', 'value']).execute();
  const relayInfo: AccessSnapshotRows['relayInfo'] = {};
  for (const { key, value } of settings) {
    if (RELAY_INFO_KEYS.includes(key) || key === 'self') relayInfo[key as RelayInfoKey | 'self'] = value;
  }
  return {
    pubkeys,
    bannedEvents: events.map((e) => e.id),
    kindRules,
    blockedIps: ips.map((r) => r.ip),
    relayInfo,
  };
}

/** The management functions bound to one database (the shape @nrelay/access expects). */
export interface ManagementStore {
  setPubkeyLevel(pubkey: string, level: PubkeyLevel, reason?: string | null): Promise<LevelChange>;
  allowPubkey(pubkey: string, reason?: string | null): Promise<LevelChange>;
  removePubkeyLevel(pubkey: string, levels: readonly PubkeyLevel[]): Promise<LevelChange>;
  listPubkeyLevels(levels: readonly PubkeyLevel[]): Promise<PubkeyLevelEntry[]>;
  banEvent(id: string, reason?: string | null): Promise<number>;
  unbanEvent(id: string): Promise<number>;
  listBannedEvents(): Promise<Array<{ id: string; reason: string | null }>>;
  allowKind(kind: number): Promise<void>;
  disallowKind(kind: number): Promise<void>;
  listKindRules(): Promise<Array<{ kind: number; allowed: boolean }>>;
  blockIp(ip: string, reason?: string | null): Promise<void>;
  unblockIp(ip: string): Promise<boolean>;
  listBlockedIps(): Promise<Array<{ ip: string; reason: string | null }>>;
  setRelayInfo(key: RelayInfoKey, value: string | null): Promise<void>;
  loadSnapshot(): Promise<AccessSnapshotRows>;
  loadFollows(admins: readonly string[]): Promise<string[]>;
}

/** Binds the management functions to `db` (which the caller keeps owning). */
export function createManagementStore(db: Db): ManagementStore {
  return {
    setPubkeyLevel: (pubkey, level, reason) => setPubkeyLevel(db, pubkey, level, reason ?? null),
    allowPubkey: (pubkey, reason) => allowPubkey(db, pubkey, reason ?? null),
    removePubkeyLevel: (pubkey, levels) => removePubkeyLevel(db, pubkey, levels),
    listPubkeyLevels: (levels) => listPubkeyLevels(db, levels),
    banEvent: (id, reason) => banEvent(db, id, reason ?? null),
    unbanEvent: (id) => unbanEvent(db, id),
    listBannedEvents: () => listBannedEvents(db),
    allowKind: (kind) => allowKind(db, kind),
    disallowKind: (kind) => disallowKind(db, kind),
    listKindRules: () => listKindRules(db),
    blockIp: (ip, reason) => blockIp(db, ip, reason ?? null),
    unblockIp: (ip) => unblockIp(db, ip),
    listBlockedIps: () => listBlockedIps(db),
    setRelayInfo: (key, value) => setRelayInfo(db, key, value),
    loadSnapshot: () => loadAccessSnapshot(db),
    loadFollows: (admins) => followedPubkeys(db, admins),
  };
}
