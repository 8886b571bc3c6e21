/**
 * The hot window (issue 12): the newest part of the store, in gateway memory, that answers a
 * REQ filter without the query service when it can prove the store would answer the same.
 *
 * What it holds: stored events (never ephemeral ones) with the store's write semantics applied
 * as the store applies them (libs/store save.ts, replaceable.ts, deletion.ts, tombstones.ts;
 * the oracle libs/store/src/testing/model.ts): replaceable and addressable events keep their
 * newest version (ties to the lowest id), NIP-09 requests remove the author's `e` targets
 * (never another request) and the `a` addresses' versions up to their created_at, and their
 * tombstones refuse what they deleted. NIP-40 expiry and the privileged-kind privacy rule are
 * applied at answer time, as the store applies them in SQL. Indexed by id, replace key,
 * author, kind and single-letter tag value (lists newest-first: entry-list.ts, contents.ts).
 *
 * The floor rule: the window holds EVERY stored event with created_at ≥ `floor` (every stored
 * event when complete: floor = -Infinity), and nothing else. Warming from the store's newest
 * events drops the oldest created_at group of the batch unless the batch is the whole store
 * (the store may hold more of that second); the byte budget evicts whole created_at groups from
 * the oldest end and raises the floor past them; an event arriving below the floor is not kept
 * (a deletion request below it still removes its targets). A filter is answered when the
 * window has its whole answer: see `answerFilter` (answer.ts).
 *
 * Cold: before the first warm-up and after `markCold`, the window holds and answers nothing.
 * Anything that can make it diverge from the store makes it cold until re-warmed: a fanout gap
 * (a Redis outage), a restart, a deletion or a change whose effect was not published (a
 * management action: bans, quarantine, vanish), or an `add` of a stored event that the window
 * itself refuses (`deleted`, `replaced-older`: the store changed behind the feed, e.g. the
 * expiry purge removed a newer, expired version).
 *
 * Wired by ./feed.ts (warm-up, fanout feed, when to mark cold) and ./query-client.ts (the
 * read path at the query seam); the design and its measurements: docs/adr/0018-hot-window.md.
 */
import { type Filter, kindClass, type NostrEvent, type RawEvent, replaceableKey } from '@nrelay/protocol';
import { type AnswerScope, answerFilter, type WindowViewer } from './answer.js';
import { deletedAddresses, deletedIds, makeEntry, WindowContents } from './contents.js';
import { newestFirst, type WindowEntry } from './entry-list.js';
import { RecentDeletions, RecentVanishes } from './tombstones.js';

/** NIP-62 request to vanish: applied by the store, never stored (libs/store vanish.ts). */
const VANISH_KIND = 62;
/** NIP-59 gift wrap: vanished with the pubkey it p-tags. */
const GIFT_WRAP_KIND = 1059;

/** How a hot window is bounded and which query rules it answers by. */
export interface HotWindowOptions {
  /** Most bytes the window counts (contents.ts says what an event counts); never exceeded. */
  budgetBytes: number;
  /** Kinds only their author and p-tagged pubkeys may read (the query service's setting). */
  privilegedKinds: readonly number[];
  /** The query engine's limits: effective limit = min(filter.limit ?? defaultLimit, maxLimit). */
  defaultLimit: number;
  maxLimit: number;
}

/** `cold`: holds and answers nothing until warmed; `hot`: holds the newest part of the store. */
export type HotWindowState = 'cold' | 'hot';

/**
 * What `add` did with an event: `kept`, or why not: the window is `cold`; the kind is
 * `ephemeral`; a `duplicate`; `deleted` or `replaced-older` (the store would refuse it too);
 * `below-floor` (older than what the window holds; a deletion request's effects still applied);
 * `vanish`: a NIP-62 request, applied and not kept (the store does not keep it either).
 */
export type AddOutcome =
  | 'kept'
  | 'vanish'
  | 'cold'
  | 'ephemeral'
  | 'duplicate'
  | 'deleted'
  | 'replaced-older'
  | 'below-floor';

/** Store order of two events: created_at desc, then id asc. */
function byStoreOrder(a: RawEvent, b: RawEvent): number {
  const x = a.event;
  const y = b.event;
  if (x.created_at !== y.created_at) return y.created_at - x.created_at;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

/**
 * A bounded in-memory copy of the store's newest events that answers a filter exactly as the
 * store would, or not at all (see the design above). Synchronous: every method runs to the end
 * without yielding, so its state is consistent between calls.
 */
export class HotWindow {
  readonly #options: HotWindowOptions;
  readonly #privileged: ReadonlySet<number>;
  readonly #contents = new WindowContents();
  readonly #recentDeletions = new RecentDeletions();
  readonly #recentVanishes = new RecentVanishes();
  #state: HotWindowState = 'cold';
  #coldReason = 'not warmed yet';
  #floor = Number.POSITIVE_INFINITY;

  constructor(options: HotWindowOptions) {
    this.#options = { ...options };
    this.#privileged = new Set(options.privilegedKinds);
  }

  get state(): HotWindowState {
    return this.#state;
  }

  /** Why the window is cold (the last `markCold` reason); kept after warming, for logs. */
  get coldReason(): string {
    return this.#coldReason;
  }

  /**
   * Every stored event with created_at ≥ floor is held: -Infinity when the window holds the
   * whole store, +Infinity when cold.
   */
  get floor(): number {
    return this.#floor;
  }

  /** Bytes counted now (≤ `budgetBytes`). */
  get bytes(): number {
    return this.#contents.bytes;
  }

  /** Events held now. */
  get size(): number {
    return this.#contents.byId.size;
  }

  /** Drops everything and answers nothing until the next `warm`. */
  markCold(reason: string): void {
    this.#contents.clear();
    this.#state = 'cold';
    this.#coldReason = reason;
    this.#floor = Number.POSITIVE_INFINITY;
  }

  /**
   * Replaces the contents with the store's newest events (as a `{limit: N}` read returns them,
   * newest first, unrestricted by privacy) and turns hot. `complete`: the store holds nothing
   * older than these. What does not fit the budget is left out, and a created_at group the
   * batch may have cut (its oldest, unless complete) is dropped, so the floor claim holds.
   */
  warm(events: readonly RawEvent[], options: { complete: boolean }): void {
    this.#contents.clear();
    const sorted = events.filter((e) => kindClass(e.event.kind) !== 'ephemeral').sort(byStoreOrder);
    const seen = new Set<string>();
    const taken: WindowEntry[] = [];
    let bytes = 0;
    let cutAt: number | undefined;
    for (const raw of sorted) {
      if (seen.has(raw.event.id)) continue;
      seen.add(raw.event.id);
      const entry = makeEntry(raw);
      if (bytes + entry.cost > this.#options.budgetBytes) {
        cutAt = entry.createdAt;
        break;
      }
      bytes += entry.cost;
      taken.push(entry);
    }
    if (cutAt === undefined && !options.complete) {
      cutAt = taken[taken.length - 1]?.createdAt ?? Number.POSITIVE_INFINITY;
    }
    const floor = cutAt === undefined ? Number.NEGATIVE_INFINITY : cutAt + 1;
    // Oldest first, so each insert is an append.
    for (let i = taken.length - 1; i >= 0; i--) {
      const entry = taken[i] as WindowEntry;
      if (entry.createdAt >= floor) this.#contents.insert(entry);
    }
    this.#floor = floor;
    this.#state = 'hot';
  }

  /**
   * Applies one event the store stored (the fanout publishes nothing else), with the store's
   * rules; see `AddOutcome`. The feed carries only stored events, so `deleted` or
   * `replaced-older` means the window no longer agrees with the store: the caller marks it cold.
   */
  add(event: NostrEvent, raw: string): AddOutcome {
    const nowMs = Date.now();
    // Noted even when cold: an event stored before the request may still be on its way.
    if (event.kind === VANISH_KIND) this.#recentVanishes.note(event.pubkey, event.created_at, nowMs);
    if (this.#state === 'cold') return 'cold';
    if (event.kind === VANISH_KIND) {
      this.#applyVanish(event);
      return 'vanish';
    }
    if (kindClass(event.kind) === 'ephemeral') return 'ephemeral';
    const contents = this.#contents;
    if (contents.byId.has(event.id)) return 'duplicate';
    if (!this.#recentVanishes.empty && this.#vanished(event, nowMs)) return 'deleted';
    if (event.kind === 5) this.#applyDeletion(event, nowMs);
    else {
      if (
        contents.tombstones.deletesId(event.id, event.pubkey) ||
        this.#recentDeletions.deletes(`${event.id}:${event.pubkey}`, nowMs)
      ) {
        return 'deleted';
      }
      const key = replaceableKey(event);
      if (key !== undefined) {
        if (contents.tombstones.deletesVersion(key, event.created_at)) return 'deleted';
        const current = contents.byReplaceKey.get(key);
        if (current !== undefined) {
          const newer =
            current.createdAt > event.created_at ||
            (current.createdAt === event.created_at && current.id < event.id);
          if (newer) return 'replaced-older';
          contents.remove(current);
        }
      }
    }
    if (event.created_at < this.#floor) return 'below-floor';
    contents.insert(makeEntry({ event, raw }));
    this.#evictToBudget();
    return 'kept';
  }

  /**
   * The raw texts the store would return for this one filter, in its order, or undefined when
   * the window cannot prove it holds the whole answer (always when cold; see `answerFilter`).
   * `now` (seconds) is the NIP-40 clock, as the store's.
   */
  answer(filter: Filter, viewer: WindowViewer, now: number): string[] | undefined {
    if (this.#state === 'cold') return undefined;
    const scope: AnswerScope = {
      contents: this.#contents,
      floor: this.#floor,
      defaultLimit: this.#options.defaultLimit,
      maxLimit: this.#options.maxLimit,
      privilegedKinds: this.#privileged,
    };
    return answerFilter(scope, filter, viewer, now);
  }

  /** NIP-09 as deletion.ts applies it: own `e` targets but requests, own addresses up to created_at. */
  #applyDeletion(del: NostrEvent, nowMs: number): void {
    const contents = this.#contents;
    const ids = deletedIds(del);
    this.#recentDeletions.note(
      ids.map((id) => `${id}:${del.pubkey}`),
      nowMs,
    );
    for (const id of ids) {
      const target = contents.byId.get(id);
      if (target !== undefined && target.event.pubkey === del.pubkey && target.event.kind !== 5) {
        contents.remove(target);
      }
    }
    for (const key of deletedAddresses(del)) {
      const target = contents.byReplaceKey.get(key);
      if (target !== undefined && target.createdAt <= del.created_at) contents.remove(target);
    }
  }

  /** Whether a recent request to vanish covers `event`: its author's, or a gift wrap to that pubkey. */
  #vanished(event: NostrEvent, nowMs: number): boolean {
    const recent = this.#recentVanishes;
    if (recent.covers(event.pubkey, event.created_at, nowMs)) return true;
    if (event.kind !== GIFT_WRAP_KIND) return false;
    return event.tags.some(
      (t) => t[0] === 'p' && t[1] !== undefined && recent.covers(t[1], event.created_at, nowMs),
    );
  }

  /**
   * NIP-62 as vanish.ts applies it: the pubkey's events up to the request's created_at (kind 5
   * included) and the gift wraps p-tagging it up to the same time leave the window.
   */
  #applyVanish(request: NostrEvent): void {
    const contents = this.#contents;
    const until = request.created_at;
    const gone: WindowEntry[] = [];
    const own = contents.byAuthor.get(request.pubkey);
    if (own !== undefined) for (const entry of newestFirst([own], until)) gone.push(entry);
    const wraps = contents.byTag.get('p')?.get(request.pubkey);
    if (wraps !== undefined) {
      for (const entry of newestFirst([wraps], until))
        if (entry.event.kind === GIFT_WRAP_KIND) gone.push(entry);
    }
    for (const entry of gone) contents.remove(entry);
  }

  /** Evicts whole created_at groups, oldest first, until the budget holds; raises the floor. */
  #evictToBudget(): void {
    const contents = this.#contents;
    while (contents.bytes > this.#options.budgetBytes) {
      const oldest = contents.all.oldest();
      if (oldest === undefined) return;
      const group = oldest.createdAt;
      for (let e: WindowEntry | undefined = oldest; e !== undefined && e.createdAt === group; ) {
        contents.remove(e);
        e = contents.all.oldest();
      }
      this.#floor = group + 1;
    }
  }
}
