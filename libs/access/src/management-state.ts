/**
 * The `AccessState` every gateway and ingest worker consults, kept in memory: loaded from
 * Postgres at start, reloaded on each change announcement and periodically (which also heals
 * announcements lost while Redis was away). Lookups are synchronous map and set reads.
 *
 * This library imports neither the store nor Redis: the composition root passes the loader
 * functions (`AccessSource`, which `createManagementStore` of @nrelay/store satisfies) and the
 * announcement bus (in-process, or the Redis one, ./redis-access-changes.ts).
 */
import type { AccessChangeBus } from './access-changes.js';
import { ipBlockMatcher } from './ip-blocklist.js';
import type { AccessLevel, AccessState, RelayInfoOverrides } from './state.js';

/** The management tables as loaded (the shape `loadAccessSnapshot` of @nrelay/store returns). */
export interface AccessSnapshot {
  pubkeys: ReadonlyArray<{ pubkey: string; level: AccessLevel }>;
  bannedEvents: readonly string[];
  /** `allowed`: on the kind allowlist; `!allowed`: disallowed. */
  kindRules: ReadonlyArray<{ kind: number; allowed: boolean }>;
  /** NIP-86 `blockip` entries (addresses or CIDRs). */
  blockedIps: readonly string[];
  relayInfo: RelayInfoOverrides;
}

/** Where the state comes from (Postgres, through @nrelay/store). */
export interface AccessSource {
  loadSnapshot(): Promise<AccessSnapshot>;
  /** follows mode: the pubkeys `p`-tagged in the stored kind-3 lists of `admins`. */
  loadFollows(admins: readonly string[]): Promise<readonly string[]>;
}

/** The few logger methods the state uses (a pino logger fits). */
export interface AccessStateLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of `loadAccessState`. */
export interface AccessStateOptions {
  source: AccessSource;
  changes: AccessChangeBus;
  /** follows mode: the admins whose kind-3 lists say who is followed; empty or absent: off. */
  followsOf?: readonly string[];
  /** Period of the full reload (management tables and follows), in ms; FOLLOWS_REFRESH_SECONDS. */
  refreshIntervalMs: number;
  logger: AccessStateLogger;
}

/** An `AccessState` that can be told to reload, and stopped. */
export interface ManagedAccessState extends AccessState {
  /**
   * Reloads the management tables; resolves once a load that started after this call has
   * finished (a failed load is logged and the previous state kept). Concurrent calls share loads.
   */
  reload(): Promise<void>;
  /** Reloads the follow set the same way (no-op when follows mode is off). */
  reloadFollows(): Promise<void>;
  /** Stops the periodic reload and the announcement subscription. */
  close(): void;
}

interface Compiled {
  levels: ReadonlyMap<string, AccessLevel>;
  bannedEvents: ReadonlySet<string>;
  allowedKinds: ReadonlySet<number>;
  deniedKinds: ReadonlySet<number>;
  isIpBlocked: (ip: string) => boolean;
  relayInfo: Readonly<RelayInfoOverrides>;
}

/** Builds the lookup structures of one snapshot. */
export function compileSnapshot(snapshot: AccessSnapshot): Compiled {
  const allowedKinds = new Set<number>();
  const deniedKinds = new Set<number>();
  for (const rule of snapshot.kindRules) (rule.allowed ? allowedKinds : deniedKinds).add(rule.kind);
  const relayInfo: RelayInfoOverrides = {};
  for (const key of ['name', 'description', 'icon', 'self'] as const) {
    const value = snapshot.relayInfo[key];
    if (typeof value === 'string') relayInfo[key] = value;
  }
  return {
    levels: new Map(snapshot.pubkeys.map((p) => [p.pubkey, p.level])),
    bannedEvents: new Set(snapshot.bannedEvents),
    allowedKinds,
    deniedKinds,
    isIpBlocked: ipBlockMatcher(snapshot.blockedIps),
    relayInfo: Object.freeze(relayInfo),
  };
}

/**
 * Runs `load` for each request, never two at once: a request made while a load runs is served
 * by the next load (one for all such requests), so it always sees changes committed before it.
 */
function coalesced(load: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const request = (): Promise<void> => {
    if (running === undefined) {
      running = load().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return request();
    });
    return queued;
  };
  return request;
}

/**
 * Loads the state (rejecting when Postgres cannot be read, so a process does not start with
 * an empty ban list), then keeps it current. `relayInfo()` returns the same frozen object
 * until the next reload, so callers may cache what they derive from it by identity.
 */
export async function loadAccessState(opts: AccessStateOptions): Promise<ManagedAccessState> {
  const { source, logger } = opts;
  const admins = [...(opts.followsOf ?? [])];
  let compiled = compileSnapshot(await source.loadSnapshot());
  let follows: ReadonlySet<string> = new Set(admins.length > 0 ? await source.loadFollows(admins) : []);

  const reload = coalesced(async () => {
    try {
      compiled = compileSnapshot(await source.loadSnapshot());
    } catch (err) {
      logger.error({ err }, 'reloading the access-control state failed; keeping the previous one');
    }
  });
  const reloadFollows = coalesced(async () => {
    if (admins.length === 0) return;
    try {
      follows = new Set(await source.loadFollows(admins));
    } catch (err) {
      logger.error({ err }, 'reloading the follow list failed; keeping the previous one');
    }
  });
  const unsubscribe = opts.changes.subscribe((change) => {
    // Events written outside the ingest path may include the admins' kind-3 lists.
    void (change.what === 'acl' ? reload() : reloadFollows());
  });
  const timer = setInterval(() => {
    void reload();
    void reloadFollows();
  }, opts.refreshIntervalMs);
  timer.unref();
  logger.info(
    { pubkeyRules: compiled.levels.size, bannedEvents: compiled.bannedEvents.size, follows: follows.size },
    'access-control state loaded',
  );

  return {
    levelOf: (pubkey) => compiled.levels.get(pubkey),
    isFollowed: (pubkey) => follows.has(pubkey),
    isEventBanned: (id) => compiled.bannedEvents.has(id),
    isKindAllowed: (kind) =>
      !compiled.deniedKinds.has(kind) &&
      (compiled.allowedKinds.size === 0 || compiled.allowedKinds.has(kind)),
    isIpBlocked: (ip) => compiled.isIpBlocked(ip),
    relayInfo: () => compiled.relayInfo,
    reload,
    reloadFollows,
    close() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
