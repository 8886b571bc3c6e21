import {
  expirationOf,
  type Filter,
  kindClass,
  matchFilter,
  type NostrEvent,
  parseAddress,
  replaceableKey,
} from '@nrelay/protocol';
import type { StoreViewer } from '../types.js';
import { byStoreOrder } from './events.js';

/**
 * The store's semantics written the obvious way, over an in-memory map: the oracle of the
 * differential test. Replaceable/addressable: newest wins, ties to the lowest id. NIP-09:
 * own events by `e`, own addresses by `a` up to the request's created_at, with tombstones;
 * requests never delete requests. Ephemeral kinds are not stored.
 */
export class StoreModel {
  readonly events = new Map<string, NostrEvent>();
  readonly #deletedIds = new Set<string>();
  readonly #deletedAddresses = new Map<string, number>();
  /** NIP-62: pubkey → the newest request's created_at, and that request's id. */
  readonly #vanished = new Map<string, { until: number; id: string }>();

  /** Applies one event; returns the status the store must answer. */
  save(e: NostrEvent): string {
    const cls = kindClass(e.kind);
    if (cls === 'ephemeral') return 'invalid';
    if (e.kind === 62) return this.#applyVanish(e);
    if (this.#vanishes(e)) return 'vanished';
    if (this.events.has(e.id)) return 'duplicate';
    if (e.kind === 5) {
      this.events.set(e.id, e);
      this.#applyDeletion(e);
      return 'stored';
    }
    if (this.#deletedIds.has(`${e.id}:${e.pubkey}`)) return 'deleted';
    const key = replaceableKey(e);
    if (key === undefined) {
      this.events.set(e.id, e);
      return 'stored';
    }
    if ((this.#deletedAddresses.get(key) ?? -1) >= e.created_at) return 'deleted';
    const current = [...this.events.values()].find((x) => replaceableKey(x) === key);
    if (current) {
      if (byStoreOrder(current, e) < 0) return 'replaced-older';
      this.events.delete(current.id);
    }
    this.events.set(e.id, e);
    return 'stored';
  }

  /** Whether a request to vanish covers `e`: its author's, or a gift wrap p-tagging its pubkey. */
  #vanishes(e: NostrEvent): boolean {
    const keys = [e.pubkey];
    if (e.kind === 1059) for (const [name, value] of e.tags) if (name === 'p' && value) keys.push(value);
    return keys.some((k) => (this.#vanished.get(k)?.until ?? -Infinity) >= e.created_at);
  }

  /** NIP-62: the request is not stored; it deletes and refuses what it covers. */
  #applyVanish(req: NostrEvent): string {
    const current = this.#vanished.get(req.pubkey);
    if (current?.id === req.id) return 'duplicate';
    if (current !== undefined && current.until >= req.created_at) return 'vanished';
    this.#vanished.set(req.pubkey, { until: req.created_at, id: req.id });
    for (const x of [...this.events.values()]) if (this.#vanishes(x)) this.events.delete(x.id);
    return 'stored';
  }

  #applyDeletion(del: NostrEvent): void {
    for (const [name, value] of del.tags) {
      if (name === 'e' && value !== undefined) {
        this.#deletedIds.add(`${value}:${del.pubkey}`);
        const target = this.events.get(value);
        if (target && target.pubkey === del.pubkey && target.kind !== 5) this.events.delete(value);
      }
      const address = name === 'a' && value !== undefined ? parseAddress(value) : undefined;
      if (!address || address.pubkey !== del.pubkey) continue;
      const cls = kindClass(address.kind);
      if (cls !== 'replaceable' && cls !== 'addressable') continue;
      const key =
        cls === 'replaceable'
          ? `${address.kind}:${address.pubkey}`
          : `${address.kind}:${address.pubkey}:${address.d}`;
      this.#deletedAddresses.set(key, Math.max(this.#deletedAddresses.get(key) ?? -1, del.created_at));
      for (const x of [...this.events.values()]) {
        if (replaceableKey(x) === key && x.created_at <= del.created_at) this.events.delete(x.id);
      }
    }
  }

  /**
   * What a query must return: matching live events the viewer may see, in store order, cut at
   * `limit`.
   */
  query(filter: Filter, limit: number, now: number, viewer?: StoreViewer): string[] {
    return [...this.events.values()]
      .filter((e) => matchFilter(filter, e) && !((expirationOf(e) ?? Infinity) <= now) && mayView(e, viewer))
      .sort(byStoreOrder)
      .slice(0, limit)
      .map((e) => e.id);
  }
}

/** The privileged-kinds rule: only the author or a p-tagged pubkey sees such an event. */
function mayView(e: NostrEvent, viewer: StoreViewer | undefined): boolean {
  if (viewer === undefined || !viewer.privilegedKinds.includes(e.kind)) return true;
  if (viewer.pubkeys.includes(e.pubkey)) return true;
  return e.tags.some((tag) => tag[0] === 'p' && tag[1] !== undefined && viewer.pubkeys.includes(tag[1]));
}
