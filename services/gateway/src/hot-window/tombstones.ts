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
