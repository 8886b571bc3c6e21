/**
 * Bounds of a NIP-50 `search`. The store turns a search into a Postgres tsquery whose tree has
 * about one node per term; the functions that walk that tree recurse once per node, so an
 * unbounded search exhausts the stack (Postgres: "stack depth limit exceeded"; PGlite: a lost
 * error and a wedged instance, see docs/operations.md). Gateway and store count terms alike.
 */
import { invalid, type ProtocolError } from './errors.js';
import type { ParseLimits } from './limits.js';

/** NIP-50 `key:value` extension tokens: not search terms, the store drops them. */
export const SEARCH_EXTENSION = /^(include|domain|language|sentiment|nsfw):/i;

/** A run of letters and digits: the smallest piece websearch_to_tsquery makes a lexeme of. */
const TERM = /[\p{L}\p{N}]+/gu;

/**
 * How many terms a search holds as websearch_to_tsquery sees them: every run of letters and
 * digits outside NIP-50 extension tokens and the `or` operator (`a-b`, `a.b` and `a,b` are two
 * terms each, as the parser makes at least one lexeme of each run). An upper bound of the lexemes up to the
 * parser's compound tokens (a hyphenated word adds one), so a bound on it bounds the tree.
 */
export function searchTermCount(search: string): number {
  let count = 0;
  for (const token of search.split(/\s+/)) {
    if (token === '' || SEARCH_EXTENSION.test(token) || token.toLowerCase() === 'or') continue;
    TERM.lastIndex = 0;
    while (TERM.exec(token) !== null) count++;
  }
  return count;
}

/** Limits of a search; the subset of `ParseLimits` the store applies too. */
export type SearchLimits = Pick<ParseLimits, 'maxSearchLength' | 'maxSearchTerms'>;

/**
 * Why a search is refused (`invalid: search ...`), or undefined when it is within the limits:
 * at most `maxSearchLength` UTF-16 code units, at most `maxSearchTerms` terms. The length is
 * checked first, so counting terms costs at most one pass over a bounded string.
 */
export function checkSearch(search: string, limits: SearchLimits): ProtocolError | undefined {
  if (search.length > limits.maxSearchLength) {
    return invalid('E_SEARCH_TOO_LONG', `search longer than ${limits.maxSearchLength} characters`);
  }
  const terms = searchTermCount(search);
  if (terms > limits.maxSearchTerms) {
    return invalid('E_SEARCH_TOO_LONG', `search has ${terms} terms, more than ${limits.maxSearchTerms}`);
  }
  return undefined;
}
