/**
 * Counting an object's members in its source text, without parsing it again. `JSON.parse` keeps
 * the last of two equal keys and says nothing, so a parsed event can look valid while its
 * source text (what the relay stores and serves, ADR 0002) names a field twice.
 */

const QUOTE = 34; // "
const BACKSLASH = 92; // \
const COMMA = 44; // ,
const OPEN_BRACE = 123; // {
const OPEN_BRACKET = 91; // [
const CLOSE_BRACE = 125; // }
const CLOSE_BRACKET = 93; // ]

/**
 * Number of members of the JSON object whose text is `text` (which must be valid JSON, as a
 * `JSON.parse` that succeeded proves): one more than its commas at depth 1, or 0 for `{}`.
 * Strings are skipped with `indexOf`, so a long `content` costs one memchr, not a loop.
 */
export function countObjectMembers(text: string): number {
  let depth = 0;
  let commas = 0;
  let empty = true;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (depth === 1) empty = false;
      i = closingQuote(text, i + 1);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === 1) empty = false;
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA) {
      if (depth === 1) commas++;
    } else if (depth === 1 && c > 32) {
      empty = false; // a number or literal value
    }
  }
  return empty ? 0 : commas + 1;
}

/** Index of the quote that closes the string whose text starts at `from`. */
function closingQuote(text: string, from: number): number {
  let at = text.indexOf('"', from);
  while (at > 0) {
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return text.length; // unterminated: cannot happen for parsed JSON
}
