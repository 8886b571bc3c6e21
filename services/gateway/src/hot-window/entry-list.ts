import type { NostrEvent } from '@nrelay/protocol';

/** One event held by the hot window, with what its indexes and answers need of it. */
export interface WindowEntry {
  readonly id: string;
  readonly createdAt: number;
  /** The parsed event (`matchFilter` runs on it); a shared placeholder once removed. */
  event: NostrEvent;
  /** The original JSON text, answered verbatim; '' once removed. */
  raw: string;
  /** NIP-40 `expiration`, checked at answer time as the store does. */
  readonly expiresAt: number | undefined;
  /** Distinct `[letter, value]` pairs of its single-letter tags: its postings in the tag index. */
  readonly tags: ReadonlyArray<readonly [string, string]>;
  /** `replaceableKey` for replaceable and addressable kinds. */
  readonly replaceKey: string | undefined;
  /** For a kept deletion request: the tombstones it holds (see tombstones.ts). */
  readonly tombstones: { readonly ids: readonly string[]; readonly addresses: readonly string[] } | undefined;
  /** What it counts against the byte budget (see `entryCost` in contents.ts). */
  readonly cost: number;
  /** False once removed; the lists it sits in drop it lazily. */
  alive: boolean;
}

/** True when `a` comes before `b` in the store's order: created_at desc, then id asc. */
export function storeFirst(a: WindowEntry, b: WindowEntry): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);
}

/** Removed entries this many or fewer stay in a list until the next compaction. */
const COMPACT_SLACK = 32;

/** Store order reversed, for sorting a list's items oldest first. */
function oldestFirst(a: WindowEntry, b: WindowEntry): number {
  return storeFirst(a, b) ? 1 : storeFirst(b, a) ? -1 : 0;
}

/**
 * The entries under one index key, kept in reverse store order (oldest first), so the usual
 * arrival (the newest event) is an append and the newest-first walk runs from the end. An
 * entry of the newest second that sorts before the last one by id (many events in one second
 * arrive in random id order) is appended too, and the tail from that second on is sorted the
 * next time the list is read (TimSort: nearly sorted runs cost about their length), so a burst
 * of one second never splices into a long list. A backdated entry is placed by binary search
 * (O(log n) to find, O(n) to splice: rare). Removal
 * is lazy: the entry is marked dead and the list only counts it; once the dead outnumber the
 * live (and pass a small slack) the list is compacted in O(n), so removal is O(1) amortized and
 * a list never holds more dead than about its live entries.
 */
export class EntryList {
  #items: WindowEntry[] = [];
  /** Every item before `head` is dead (eviction takes from the oldest end). */
  #head = 0;
  #dead = 0;
  #live = 0;
  /** From here to the end the items may be out of id order within their seconds; -1: sorted. */
  #unsortedFrom = -1;

  /** Entries alive in this list. */
  get live(): number {
    return this.#live;
  }

  insert(entry: WindowEntry): void {
    const items = this.#items;
    const last = items[items.length - 1];
    if (last === undefined || storeFirst(entry, last)) items.push(entry);
    else if (entry.createdAt === last.createdAt) {
      if (this.#unsortedFrom < 0) this.#unsortedFrom = this.#firstAfter(last.createdAt - 1);
      items.push(entry);
    } else {
      this.#settle();
      items.splice(this.#positionOf(entry), 0, entry);
    }
    this.#live++;
  }

  /** Counts one of its entries as removed (the caller marked it dead). */
  noteRemoved(): void {
    this.#live--;
    this.#dead++;
    if (this.#dead > COMPACT_SLACK && this.#dead > this.#live) {
      this.#settle();
      this.#items = this.#items.slice(this.#head).filter((e) => e.alive);
      this.#head = 0;
      this.#dead = 0;
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.#items = [];
    this.#unsortedFrom = -1;
    this.#head = 0;
    this.#dead = 0;
    this.#live = 0;
  }

  /** The oldest live entry (last in store order). */
  oldest(): WindowEntry | undefined {
    const items = this.#items;
    for (;;) {
      while (this.#head < items.length && !(items[this.#head] as WindowEntry).alive) {
        this.#head++;
        this.#dead--;
      }
      // The unsorted tail (the newest second) matters here only once the head reaches it:
      // eviction after every add must not sort a burst of one second each time.
      if (this.#unsortedFrom < 0 || this.#head < this.#unsortedFrom) return items[this.#head];
      this.#settle();
    }
  }

  /** The entry at position `i` (see `start`), dead or alive. */
  at(i: number): WindowEntry | undefined {
    return i >= this.#head ? this.#items[i] : undefined;
  }

  /** The position a newest-first walk starts from: the newest entry with created_at ≤ `until`. */
  start(until: number | undefined): number {
    this.#settle();
    return until === undefined ? this.#items.length - 1 : this.#firstAfter(until) - 1;
  }

  /** Sorts the unsorted tail, if any (see the class comment). */
  #settle(): void {
    const from = this.#unsortedFrom;
    if (from < 0) return;
    this.#unsortedFrom = -1;
    const items = this.#items;
    // Items before the head are all dead: they stay where they are.
    const start = Math.max(from, this.#head);
    const tail = items.slice(start).sort(oldestFirst);
    for (let i = 0; i < tail.length; i++) items[start + i] = tail[i] as WindowEntry;
  }

  /** The index of the first live-part item created after `second` (created_at are integers). */
  #firstAfter(second: number): number {
    const items = this.#items;
    let lo = this.#head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((items[mid] as WindowEntry).createdAt <= second) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Where `entry` goes among the live part: after every item that comes after it in store order. */
  #positionOf(entry: WindowEntry): number {
    const items = this.#items;
    let lo = this.#head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (storeFirst(entry, items[mid] as WindowEntry)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Cursor {
  readonly list: EntryList;
  i: number;
  entry: WindowEntry;
}

/**
 * The live entries of `lists` in store order (newest first, ties by lowest id), from `until`
 * down, each once: a k-way merge over a binary heap, O(log k) per entry, so a caller that stops
 * after `limit` entries pays for those only. An entry in several lists (a filter naming two of
 * its tag values) comes out of adjacent heads and is yielded once.
 */
export function* newestFirst(lists: readonly EntryList[], until: number | undefined): Generator<WindowEntry> {
  const heap: Cursor[] = [];
  for (const list of lists) {
    const i = list.start(until);
    const entry = list.at(i);
    if (entry !== undefined) heap.push({ list, i, entry });
  }
  for (let k = (heap.length >> 1) - 1; k >= 0; k--) siftDown(heap, k);
  let previous: WindowEntry | undefined;
  while (heap.length > 0) {
    const top = heap[0] as Cursor;
    const entry = top.entry;
    if (entry.alive && entry !== previous) {
      previous = entry;
      yield entry;
    }
    const next = top.list.at(--top.i);
    if (next === undefined) {
      const last = heap.pop() as Cursor;
      if (heap.length === 0) return;
      heap[0] = last;
    } else top.entry = next;
    siftDown(heap, 0);
  }
}

function siftDown(heap: Cursor[], k: number): void {
  const n = heap.length;
  for (;;) {
    const left = 2 * k + 1;
    if (left >= n) return;
    const right = left + 1;
    const child =
      right < n && storeFirst((heap[right] as Cursor).entry, (heap[left] as Cursor).entry) ? right : left;
    if (!storeFirst((heap[child] as Cursor).entry, (heap[k] as Cursor).entry)) return;
    [heap[k], heap[child]] = [heap[child] as Cursor, heap[k] as Cursor];
    k = child;
  }
}
