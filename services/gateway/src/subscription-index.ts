import { type Filter, matchFilter, type NostrEvent } from '@nrelay/protocol';

/** One live subscription as the index knows it: who holds it and under which id. */
export interface IndexedSubscription<C> {
  readonly connection: C;
  readonly subId: string;
  readonly filters: readonly Filter[];
}

/** Mutable bookkeeping behind an {@link IndexedSubscription}; `epoch` dedupes per match call. */
interface SubscriptionEntry<C> extends IndexedSubscription<C> {
  /** One per filter; set once, right after the entry is built. */
  postings: readonly Posting<C>[];
  epoch: number;
}

/**
 * The subscriptions of one connection: the entry itself while it has one (the common case, and
 * no Map to pay for), a Map by subscription id from the second on.
 */
type ConnectionEntries<C> = SubscriptionEntry<C> | Map<string, SubscriptionEntry<C>>;

/** One filter filed under one key family; `epoch` stops a filter being tested twice per event. */
interface Posting<C> {
  readonly entry: SubscriptionEntry<C>;
  readonly filter: Filter;
  /** The buckets this posting sits in, so removal touches only those. */
  readonly buckets: readonly Bucket<C>[];
  epoch: number;
}

/** The postings filed under one key; knows its map and key so an emptied bucket can leave it. */
class Bucket<C> extends Set<Posting<C>> {
  constructor(
    readonly owner: Map<unknown, Bucket<C>> | undefined,
    readonly key: unknown,
  ) {
    super();
  }
}

function bucketOf<K, C>(map: Map<K, Bucket<C>>, key: K): Bucket<C> {
  let bucket = map.get(key);
  if (bucket === undefined) {
    bucket = new Bucket<C>(map as Map<unknown, Bucket<C>>, key);
    map.set(key, bucket);
  }
  return bucket;
}

function nonEmpty<T>(values: readonly T[] | undefined): values is readonly T[] {
  return values !== undefined && values.length > 0;
}

/** The first single-letter tag constraint of a filter with at least one value, if any. */
function tagConstraint(filter: Filter): [letter: string, values: string[]] | undefined {
  for (const key in filter) {
    if (key.length !== 2 || key.charCodeAt(0) !== 35 /* # */) continue;
    const values = filter[key as `#${string}`];
    if (nonEmpty(values)) return [key.slice(1), values];
  }
  return undefined;
}

/**
 * The live subscriptions of one gateway as an inverted index (strfry's active monitors). Each
 * filter is filed under ONE key family, the most selective it names: ids, then authors, then
 * one tag's values, then kinds, else a match-all bucket. `match` looks up only the buckets an
 * event can hit and runs the full `matchFilter` on those candidates, so its cost grows with the
 * subscriptions an event could match, not with all of them.
 */
export class SubscriptionIndex<C> {
  private readonly byId = new Map<string, Bucket<C>>();
  private readonly byAuthor = new Map<string, Bucket<C>>();
  private readonly byTag = new Map<string, Map<string, Bucket<C>>>();
  private readonly byKind = new Map<number, Bucket<C>>();
  private readonly matchAll = new Bucket<C>(undefined, undefined);
  private readonly byConnection = new Map<C, ConnectionEntries<C>>();
  private epoch = 0;
  private count = 0;

  /** Number of live subscriptions held. */
  get size(): number {
    return this.count;
  }

  /** Files a subscription; an existing one with the same (connection, subId) is replaced. */
  add(connection: C, subId: string, filters: readonly Filter[]): void {
    this.remove(connection, subId);
    const entry: SubscriptionEntry<C> = { connection, subId, filters, postings: [], epoch: 0 };
    // Built by `map`, so the array is exactly as long as the filters (no growth slack).
    entry.postings = filters.map((filter) => this.file(entry, filter));
    const held = this.byConnection.get(connection);
    if (held === undefined) this.byConnection.set(connection, entry);
    else if (held instanceof Map) held.set(subId, entry);
    else {
      this.byConnection.set(
        connection,
        new Map([
          [held.subId, held],
          [subId, entry],
        ]),
      );
    }
    this.count++;
  }

  /** Removes one subscription; returns whether it was there. */
  remove(connection: C, subId: string): boolean {
    const held = this.byConnection.get(connection);
    const entry = held instanceof Map ? held.get(subId) : held;
    if (held === undefined || entry === undefined || entry.subId !== subId) return false;
    this.unfile(entry);
    if (held instanceof Map) {
      held.delete(subId);
      // Back to the single-entry form once one is left.
      if (held.size === 1) this.byConnection.set(connection, held.values().next().value!);
    } else {
      this.byConnection.delete(connection);
    }
    this.count--;
    return true;
  }

  /** Removes every subscription of a connection (on disconnect). */
  removeConnection(connection: C): void {
    const held = this.byConnection.get(connection);
    if (held === undefined) return;
    if (held instanceof Map) {
      for (const entry of held.values()) this.unfile(entry);
      this.count -= held.size;
    } else {
      this.unfile(held);
      this.count--;
    }
    this.byConnection.delete(connection);
  }

  /** Whether (connection, subId) is indexed. */
  has(connection: C, subId: string): boolean {
    const held = this.byConnection.get(connection);
    return held instanceof Map ? held.has(subId) : held?.subId === subId;
  }

  /**
   * The subscriptions with at least one filter matching `event`, each (connection, subId) at
   * most once, in no particular order. The returned array is fresh and owned by the caller.
   */
  match(event: NostrEvent): IndexedSubscription<C>[] {
    const epoch = ++this.epoch;
    const out: IndexedSubscription<C>[] = [];
    this.scan(this.byId.get(event.id), event, epoch, out);
    this.scan(this.byAuthor.get(event.pubkey), event, epoch, out);
    if (this.byTag.size > 0) {
      for (const tag of event.tags) {
        const name = tag[0];
        const value = tag[1];
        if (name === undefined || name.length !== 1 || value === undefined) continue;
        this.scan(this.byTag.get(name)?.get(value), event, epoch, out);
      }
    }
    this.scan(this.byKind.get(event.kind), event, epoch, out);
    this.scan(this.matchAll, event, epoch, out);
    return out;
  }

  private scan(
    bucket: Bucket<C> | undefined,
    event: NostrEvent,
    epoch: number,
    out: IndexedSubscription<C>[],
  ): void {
    if (bucket === undefined) return;
    for (const posting of bucket) {
      const entry = posting.entry;
      if (entry.epoch === epoch || posting.epoch === epoch) continue;
      posting.epoch = epoch;
      if (!matchFilter(posting.filter, event)) continue;
      entry.epoch = epoch;
      out.push(entry);
    }
  }

  private file(entry: SubscriptionEntry<C>, filter: Filter): Posting<C> {
    const posting: Posting<C> = { entry, filter, buckets: this.bucketsOf(filter), epoch: 0 };
    for (const bucket of posting.buckets) bucket.add(posting);
    return posting;
  }

  /** The buckets a filter is filed under, as an exact-length array (`map`, not `push`). */
  private bucketsOf(filter: Filter): Bucket<C>[] {
    if (nonEmpty(filter.ids)) return filter.ids.map((id) => bucketOf(this.byId, id));
    if (nonEmpty(filter.authors)) return filter.authors.map((author) => bucketOf(this.byAuthor, author));
    const tag = tagConstraint(filter);
    if (tag !== undefined) {
      let values = this.byTag.get(tag[0]);
      if (values === undefined) {
        values = new Map();
        this.byTag.set(tag[0], values);
      }
      const byValue = values;
      return tag[1].map((value) => bucketOf(byValue, value));
    }
    if (nonEmpty(filter.kinds)) return filter.kinds.map((kind) => bucketOf(this.byKind, kind));
    return [this.matchAll];
  }

  private unfile(entry: SubscriptionEntry<C>): void {
    for (const posting of entry.postings) {
      for (const bucket of posting.buckets) {
        bucket.delete(posting);
        if (bucket.size === 0 && bucket.owner?.get(bucket.key) === bucket) bucket.owner.delete(bucket.key);
      }
    }
  }
}
