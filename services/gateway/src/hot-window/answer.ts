import { type Filter, matchFilter } from '@nrelay/protocol';
import type { WindowContents } from './contents.js';
import { type EntryList, newestFirst, type WindowEntry } from './entry-list.js';

/** Who asks: the pubkeys the connection authenticated as (empty when anonymous). */
export interface WindowViewer {
  readonly pubkeys: readonly string[];
}

/** What an answer needs besides the filter: the contents, the floor and the query limits. */
export interface AnswerScope {
  readonly contents: WindowContents;
  /** Every stored event with created_at ≥ floor is held; -Infinity: every stored event. */
  readonly floor: number;
  readonly defaultLimit: number;
  readonly maxLimit: number;
  /** Kinds only their author and p-tagged pubkeys may see; empty: no restriction. */
  readonly privilegedKinds: ReadonlySet<number>;
}

/** Where the walk over candidates starts. */
type Candidates =
  /** No event can match (as the store's normalizeFilter decides). */
  | { kind: 'nothing' }
  /** The held events among the filter's ids; `all` when every id is held. */
  | { kind: 'ids'; entries: WindowEntry[]; all: boolean }
  | { kind: 'lists'; lists: EntryList[] };

const SINGLE_LETTER = /^[A-Za-z]$/;

/** The lists under `keys` in `map` (missing keys have no list) and their live total. */
function listsOf<K>(map: Map<K, EntryList> | undefined, keys: readonly K[]) {
  const lists: EntryList[] = [];
  let size = 0;
  for (const key of new Set(keys)) {
    const list = map?.get(key);
    if (list === undefined) continue;
    lists.push(list);
    size += list.live;
  }
  return { lists, size };
}

/**
 * The most selective candidate source of a filter: its ids (one map lookup each), else the
 * condition (authors, kinds, one tag's values) whose lists hold the fewest live entries, else
 * all events. Every match of the filter is in the chosen lists, since each names a condition
 * every match meets.
 */
function candidatesOf(contents: WindowContents, filter: Filter): Candidates {
  if (filter.authors?.length === 0 || filter.kinds?.length === 0) return { kind: 'nothing' };
  const tags: Array<[string, string[]]> = [];
  for (const key in filter) {
    if (key.charCodeAt(0) !== 35 /* # */) continue;
    const values = filter[key as `#${string}`];
    if (!Array.isArray(values)) continue;
    const letter = key.slice(1);
    // The store indexes single-letter tags only: any other tag name matches nothing there.
    if (!SINGLE_LETTER.test(letter) || values.length === 0) return { kind: 'nothing' };
    tags.push([letter, values]);
  }
  if (filter.ids) {
    const entries: WindowEntry[] = [];
    let all = true;
    for (const id of new Set(filter.ids)) {
      const entry = contents.byId.get(id);
      if (entry === undefined) all = false;
      else entries.push(entry);
    }
    entries.sort((a, b) => (a.createdAt !== b.createdAt ? b.createdAt - a.createdAt : a.id < b.id ? -1 : 1));
    return { kind: 'ids', entries, all };
  }
  const conditions = tags.map(([letter, values]) => listsOf(contents.byTag.get(letter), values));
  if (filter.authors) conditions.push(listsOf(contents.byAuthor, filter.authors));
  if (filter.kinds) conditions.push(listsOf(contents.byKind, filter.kinds));
  let best: { lists: EntryList[]; size: number } | undefined;
  for (const condition of conditions) if (best === undefined || condition.size < best.size) best = condition;
  return { kind: 'lists', lists: best?.lists ?? [contents.all] };
}

/** The store's privacy rule for privileged kinds (libs/store event-conditions.ts). */
function mayView(entry: WindowEntry, viewer: WindowViewer, privileged: ReadonlySet<number>): boolean {
  const { event } = entry;
  if (!privileged.has(event.kind)) return true;
  if (viewer.pubkeys.length === 0) return false;
  if (viewer.pubkeys.includes(event.pubkey)) return true;
  for (const [letter, value] of entry.tags) if (letter === 'p' && viewer.pubkeys.includes(value)) return true;
  return false;
}

/**
 * The raw texts the store would return for `filter` (created_at desc, then id asc, at most the
 * effective limit), or undefined when the window cannot prove it holds the whole answer.
 * Answerable: the effective limit filled (every match not held is older than the floor, so
 * after all of these), or the walk exhausted when the window holds every candidate: it is
 * complete, or `since` ≥ floor, or every id the filter names is held. Search is never
 * answered (the store ranks by its text index).
 *
 * Cost: O(ids) for an ids filter; otherwise O(c + m·log k) where m is the number of candidates
 * walked (stopped once the limit is filled, or at `since`), k the number of lists merged and
 * c the number of values the filter names; `until` is found by binary search in each list.
 */
export function answerFilter(
  scope: AnswerScope,
  filter: Filter,
  viewer: WindowViewer,
  now: number,
): string[] | undefined {
  if (filter.search !== undefined) return undefined;
  const limit = Math.floor(Math.min(filter.limit ?? scope.defaultLimit, scope.maxLimit));
  if (!(limit > 0)) return [];
  const { since, until } = filter;
  if (since !== undefined && until !== undefined && since > until) return [];
  const candidates = candidatesOf(scope.contents, filter);
  if (candidates.kind === 'nothing') return [];
  const walk = candidates.kind === 'ids' ? candidates.entries : newestFirst(candidates.lists, until);
  const out: string[] = [];
  for (const entry of walk) {
    if (since !== undefined && entry.createdAt < since) break;
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) continue;
    if (!matchFilter(filter, entry.event) || !mayView(entry, viewer, scope.privilegedKinds)) continue;
    out.push(entry.raw);
    if (out.length === limit) return out;
  }
  const holdsAll =
    scope.floor === Number.NEGATIVE_INFINITY ||
    (since !== undefined && since >= scope.floor) ||
    (candidates.kind === 'ids' && candidates.all);
  return holdsAll ? out : undefined;
}
