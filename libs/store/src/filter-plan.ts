import type { Filter } from '@nrelay/protocol';
import { indexKeys } from './index-key.js';
import type { StoreViewer } from './types.js';

/** One `#x` condition: the letter and the index keys of its values. */
interface TagCondition {
  name: string;
  keys: string[];
}

/** A filter with its arrays deduplicated, tag values turned into index keys, search cleaned. */
export interface NormalizedFilter {
  ids?: string[];
  authors?: string[];
  kinds?: number[];
  since?: number;
  until?: number;
  tags: TagCondition[];
  /** The NIP-50 query without `key:value` extension tokens; absent when nothing is left. */
  search?: string;
  /** True when no event can match (an empty list, an unindexed tag name, since > until). */
  matchesNothing: boolean;
}

/** Which index the query starts from. */
export type Drive =
  | { by: 'ids' }
  | { by: 'search' }
  | { by: 'tag'; tag: TagCondition }
  | { by: 'authors' }
  | { by: 'kinds' }
  | { by: 'time' };

const SINGLE_LETTER = /^[A-Za-z]$/;
/** Tag letters whose values name a single event or pubkey, so each value matches few rows. */
const NAMES_ONE_THING = new Set(['e', 'E', 'p', 'P', 'q']);
/** The NIP-50 extension keys; the same list `matchSearch` of @nrelay/protocol ignores live. */
const SEARCH_EXTENSION = /^(include|domain|language|sentiment|nsfw):/i;

/** Removes NIP-50 `key:value` extension tokens and NUL from a search string. */
export function searchText(search: string): string {
  return search
    .replaceAll('\u0000', '')
    .split(/\s+/)
    .filter((term) => term !== '' && !SEARCH_EXTENSION.test(term))
    .join(' ');
}

/**
 * Normalizes a NIP-01 filter for SQL. Only single-letter tag names are indexed (all NIP-01
 * allows); a filter on any other tag name matches nothing here.
 */
export function normalizeFilter(filter: Filter): NormalizedFilter {
  const out: NormalizedFilter = { tags: [], matchesNothing: false };
  if (filter.ids) out.ids = [...new Set(filter.ids)];
  if (filter.authors) out.authors = [...new Set(filter.authors)];
  if (filter.kinds) out.kinds = [...new Set(filter.kinds)];
  if (filter.since !== undefined) out.since = filter.since;
  if (filter.until !== undefined) out.until = filter.until;
  for (const [field, values] of Object.entries(filter)) {
    if (!field.startsWith('#') || !Array.isArray(values)) continue;
    const name = field.slice(1);
    if (!SINGLE_LETTER.test(name)) out.matchesNothing = true;
    out.tags.push({ name, keys: indexKeys(values as string[]) });
  }
  if (typeof filter.search === 'string') {
    const text = searchText(filter.search);
    if (text !== '') out.search = text;
  }
  const lists = [out.ids, out.authors, out.kinds, ...out.tags.map((t) => t.keys)];
  if (lists.some((list) => list !== undefined && list.length === 0)) out.matchesNothing = true;
  if (out.since !== undefined && out.until !== undefined && out.since > out.until) out.matchesNothing = true;
  return out;
}

/**
 * The filter as `viewer` may run it: an anonymous viewer never sees a privileged kind, so those
 * kinds leave the filter's `kinds` (which then matches nothing when none is left). Fewer kinds
 * are fewer index ranges, and a filter left with ordinary kinds needs no privacy predicate.
 */
export function forViewer(f: NormalizedFilter, viewer: StoreViewer | undefined): NormalizedFilter {
  if (f.kinds === undefined || viewer === undefined || viewer.pubkeys.length > 0) return f;
  const privileged = viewer.privilegedKinds;
  if (!f.kinds.some((kind) => privileged.includes(kind))) return f;
  const kinds = f.kinds.filter((kind) => !privileged.includes(kind));
  return { ...f, kinds, matchesNothing: f.matchesNothing || kinds.length === 0 };
}

/**
 * Picks where the query starts. Search orders by rank, so it is its own shape (the planner
 * picks between GIN and the primary key). Otherwise the most selective index: ids (primary
 * key), the tag with the fewest values (event_tags), authors, kinds, else time alone.
 * Without statistics, one exception: with authors present, only tags that name one event or
 * pubkey (`e`, `p`, `q`, `E`, `P`) drive; a hashtag or `d` tag can be shared by a large part
 * of the table, while one author's events are few (see docs/store-query-plans.md).
 */
export function chooseDrive(f: NormalizedFilter): Drive {
  if (f.search !== undefined) return { by: 'search' };
  if (f.ids) return { by: 'ids' };
  let best: TagCondition | undefined;
  for (const tag of f.tags) {
    if (f.authors && !NAMES_ONE_THING.has(tag.name)) continue;
    if (!best || tag.keys.length < best.keys.length) best = tag;
  }
  if (best) return { by: 'tag', tag: best };
  if (f.authors) return { by: 'authors' };
  if (f.kinds) return { by: 'kinds' };
  return { by: 'time' };
}
