import { type Filter, matchFilter, type NostrEvent } from '@nrelay/protocol';

/** One live subscription as the index knows it: who holds it and under which id. */
export interface IndexedSubscription<C> {
  readonly connection: C;
  readonly subId: string;
  readonly filters: readonly Filter[];
}

/** Mutable bookkeeping behind an {@link IndexedSubscription}; `epoch` dedupes per match call. */
interface SubscriptionEntry<C> extends IndexedSubscription<C> {
  readonly postings: Posting<C>[];
  epoch: number;
}

/** One filter filed under one key family; `epoch` stops a filter being tested twice per event. */
interface Posting<C> {
  readonly entry: SubscriptionEntry<C>;
  readonly filter: Filter;
  /** The buckets this posting sits in, so removal touches only those. */
  readonly buckets: Bucket<C>[];
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
  private readonly byConnection = new Map<C, Map<string, SubscriptionEntry<C>>>();
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
    for (const filter of filters) entry.postings.push(this.file(entry, filter));
    let subs = this.byConnection.get(connection);
    if (subs === undefined) {
      subs = new Map();
      this.byConnection.set(connection, subs);
    }
    subs.set(subId, entry);
    this.count++;
  }

  /** Removes one subscription; returns whether it was there. */
  remove(connection: C, subId: string): boolean {
    const subs = this.byConnection.get(connection);
    const entry = subs?.get(subId);
    if (subs === undefined || entry === undefined) return false;
    this.unfile(entry);
    subs.delete(subId);
    if (subs.size === 0) this.byConnection.delete(connection);
    this.count--;
    return true;
  }

  /** Removes every subscription of a connection (on disconnect). */
  removeConnection(connection: C): void {
    const subs = this.byConnection.get(connection);
    if (subs === undefined) return;
    for (const entry of subs.values()) this.unfile(entry);
    this.count -= subs.size;
    this.byConnection.delete(connection);
  }

  /** Whether (connection, subId) is indexed. */
  has(connection: C, subId: string): boolean {
    return this.byConnection.get(connection)?.has(subId) ?? false;
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
    const posting: Posting<C> = { entry, filter, buckets: [], epoch: 0 };
    const tag = nonEmpty(filter.ids) || nonEmpty(filter.authors) ? undefined : tagConstraint(filter);
    if (nonEmpty(filter.ids)) {
      for (const id of filter.ids) posting.buckets.push(bucketOf(this.byId, id));
    } else if (nonEmpty(filter.authors)) {
      for (const author of filter.authors) posting.buckets.push(bucketOf(this.byAuthor, author));
    } else if (tag !== undefined) {
      let values = this.byTag.get(tag[0]);
      if (values === undefined) {
        values = new Map();
        this.byTag.set(tag[0], values);
      }
      for (const value of tag[1]) posting.buckets.push(bucketOf(values, value));
    } else if (nonEmpty(filter.kinds)) {
      for (const kind of filter.kinds) posting.buckets.push(bucketOf(this.byKind, kind));
    } else {
      posting.buckets.push(this.matchAll);
    }
    for (const bucket of posting.buckets) bucket.add(posting);
    return posting;
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
