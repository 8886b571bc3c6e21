/**
 * The reference NIP-01 filter matcher. The live subscription index narrows candidates; this
 * function gives the final answer, and the SQL engine is tested against it.
 */
import type { Filter, NostrEvent } from './types.js';

/** NIP-50 `key:value` extensions; they steer ranking or scope in the store, not live matching. */
const SEARCH_EXTENSIONS = /^(include|domain|language|sentiment|nsfw):/i;

/**
 * True when `event` matches `filter` as NIP-01 defines it: values within a field are OR'ed,
 * fields are AND'ed; `#x` needs a tag whose name is `x` and whose first value is listed;
 * since/until are inclusive; `limit` is ignored. `search` (NIP-50) matches when every term is a
 * case-insensitive substring of the content, with `key:value` extensions ignored.
 */
export function matchFilter(filter: Filter, event: NostrEvent): boolean {
  if (filter.ids !== undefined && !filter.ids.includes(event.id)) return false;
  if (filter.kinds !== undefined && !filter.kinds.includes(event.kind)) return false;
  if (filter.authors !== undefined && !filter.authors.includes(event.pubkey)) return false;
  if (filter.since !== undefined && event.created_at < filter.since) return false;
  if (filter.until !== undefined && event.created_at > filter.until) return false;
  for (const key in filter) {
    if (key.charCodeAt(0) !== 35 /* '#' */) continue;
    const values = filter[key as `#${string}`];
    if (values !== undefined && !hasTagValue(event.tags, key.slice(1), values)) return false;
  }
  if (filter.search !== undefined && !matchSearch(filter.search, event.content)) return false;
  return true;
}

/** True when `event` matches at least one of `filters` (an empty list matches nothing). */
export function matchFilters(filters: readonly Filter[], event: NostrEvent): boolean {
  for (const filter of filters) if (matchFilter(filter, event)) return true;
  return false;
}

/** The tag conditions of a filter as `[letter, values]` pairs, e.g. `['e', [id1, id2]]`. */
export function filterTagEntries(filter: Filter): Array<[string, string[]]> {
  const entries: Array<[string, string[]]> = [];
  for (const key in filter) {
    if (key.charCodeAt(0) !== 35) continue;
    const values = filter[key as `#${string}`];
    if (values !== undefined) entries.push([key.slice(1), values]);
  }
  return entries;
}

function hasTagValue(tags: readonly string[][], name: string, values: readonly string[]): boolean {
  for (const tag of tags) {
    if (tag[0] !== name) continue;
    const value = tag[1];
    if (value !== undefined && values.includes(value)) return true;
  }
  return false;
}

/**
 * NIP-50 leaves search semantics to the relay. For live events we require every plain term to
 * appear in the content, ignoring case, so a search subscription gets plausible live results.
 */
export function matchSearch(search: string, content: string): boolean {
  const terms = search.toLowerCase().split(/\s+/);
  let haystack: string | undefined;
  for (const term of terms) {
    if (term === '' || SEARCH_EXTENSIONS.test(term)) continue;
    haystack ??= content.toLowerCase();
    if (!haystack.includes(term)) return false;
  }
  return true;
}
