/**
 * The hot window's copy of the store's NIP-09 tombstones (libs/store tombstones.ts): what the
 * deletion requests it holds forbid from being stored again. An `e` tombstone is `id:pubkey`
 * (the author's own event named by id, of any kind but 5); an `a` tombstone is a replace key
 * with the newest created_at deleted at it.
 *
 * Each tombstone lives as long as a deletion request holding it is in the window (reference
 * counted): an `a` tombstone of an evicted request only forbids versions at or below its
 * created_at, which are below the floor and not kept anyway. An `e` tombstone of an evicted
 * request can name a newer event; the window then no longer refuses it itself. That is safe
 * because the fanout carries only what the store stored (it refused the event), and the
 * window's own refusals are a cross-check: see `HotWindow.add`.
 */
export class Tombstones {
  readonly #ids = new Map<string, number>();
  readonly #addresses = new Map<string, { until: number; refs: number }>();

  /** True when the author's NIP-09 `e` deletion names this id. */
  deletesId(id: string, pubkey: string): boolean {
    return this.#ids.has(`${id}:${pubkey}`);
  }

  /** True when an `a` deletion covers a version of `replaceKey` created at `createdAt`. */
  deletesVersion(replaceKey: string, createdAt: number): boolean {
    const found = this.#addresses.get(replaceKey);
    return found !== undefined && found.until >= createdAt;
  }

  /** Takes the tombstones of one kept deletion request (`ids` as `id:pubkey`). */
  hold(ids: readonly string[], addresses: readonly string[], until: number): void {
    for (const key of ids) this.#ids.set(key, (this.#ids.get(key) ?? 0) + 1);
    for (const key of addresses) {
      const found = this.#addresses.get(key);
      if (found === undefined) this.#addresses.set(key, { until, refs: 1 });
      else {
        found.until = Math.max(found.until, until);
        found.refs++;
      }
    }
  }

  /**
   * Gives back the tombstones of a request leaving the window. A deletion request is never
   * deleted or replaced, so it leaves only by eviction, oldest first: the greatest `until` of an
   * `a` entry still held belongs to a request still in the window.
   */
  release(ids: readonly string[], addresses: readonly string[]): void {
    for (const key of ids) {
      const refs = (this.#ids.get(key) ?? 1) - 1;
      if (refs > 0) this.#ids.set(key, refs);
      else this.#ids.delete(key);
    }
    for (const key of addresses) {
      const found = this.#addresses.get(key);
      if (found === undefined) continue;
      if (--found.refs <= 0) this.#addresses.delete(key);
    }
  }

  clear(): void {
    this.#ids.clear();
    this.#addresses.clear();
  }
}

/** How long `RecentDeletions` remembers a deleted id, and how many it remembers at most. */
const RECENT_DELETION_MS = 10 * 60_000;
const RECENT_DELETION_MAX = 4096;

/**
 * The `id:pubkey` targets of the deletion requests fed in the last minutes, whether or not the
 * request itself is kept: an `e` tombstone of a request below the floor (backdated) is not held
 * by `Tombstones`, yet its target may arrive later, reordered between two ingest workers or
 * held during a warm-up. Remembered across `markCold` (a deletion is forever), for a few
 * minutes and at most RECENT_DELETION_MAX of them (about 1 MiB, outside the budget).
 */
export class RecentDeletions {
  /** Insertion order is time order: the oldest are at the front. */
  readonly #at = new Map<string, number>();

  note(keys: readonly string[], nowMs: number): void {
    for (const key of keys) {
      this.#at.delete(key);
      this.#at.set(key, nowMs);
    }
    this.#trim(nowMs);
  }

  deletes(key: string, nowMs: number): boolean {
    const at = this.#at.get(key);
    return at !== undefined && nowMs - at <= RECENT_DELETION_MS;
  }

  #trim(nowMs: number): void {
    for (const [key, at] of this.#at) {
      if (this.#at.size <= RECENT_DELETION_MAX && nowMs - at <= RECENT_DELETION_MS) return;
      this.#at.delete(key);
    }
  }
}

/** How long `RecentVanishes` remembers a request to vanish, and how many it remembers at most. */
const RECENT_VANISH_MS = 10 * 60_000;
const RECENT_VANISH_MAX = 4096;

/**
 * The NIP-62 requests to vanish fed in the last minutes (pubkey → the request's created_at),
 * noted even while the window is cold and kept across `markCold`: an event the store stored
 * just before a request committed can be published after it (another ingest worker), and the
 * window must then refuse it as the store's deletes removed it. Older arrivals cannot happen
 * (the store holds the request's table lock against every write in flight, libs/store
 * vanish.ts), so a few minutes and a bounded count suffice.
 */
export class RecentVanishes {
  /** Insertion order is time order: the oldest are at the front. */
  readonly #by = new Map<string, { until: number; at: number }>();

  note(pubkey: string, until: number, nowMs: number): void {
    const known = this.#by.get(pubkey);
    this.#by.delete(pubkey);
    this.#by.set(pubkey, { until: Math.max(until, known?.until ?? until), at: nowMs });
    for (const [key, entry] of this.#by) {
      if (this.#by.size <= RECENT_VANISH_MAX && nowMs - entry.at <= RECENT_VANISH_MS) break;
      this.#by.delete(key);
    }
  }

  /** True when a noted request covers an event of `pubkey` created at `createdAt`. */
  covers(pubkey: string, createdAt: number, nowMs: number): boolean {
    const entry = this.#by.get(pubkey);
    return entry !== undefined && nowMs - entry.at <= RECENT_VANISH_MS && entry.until >= createdAt;
  }

  /** Whether any request is noted: the common case (none) costs one size check per event. */
  get empty(): boolean {
    return this.#by.size === 0;
  }
}
