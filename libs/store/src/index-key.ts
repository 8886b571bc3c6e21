import { createHash } from 'node:crypto';

/** Values longer than this many UTF-16 units are indexed by hash. */
export const MAX_INDEXED_VALUE_LENGTH = 256;

const HASHED_PREFIX = '\u0001';

/**
 * The btree key under which a tag value (or d tag, or replace key) is stored and looked up.
 * Short ordinary values are their own key, so they stay readable in the database. A value is
 * replaced by '\u0001' + sha256hex(utf8(value)) when it is longer than 256 units (a btree entry
 * must fit in a third of a page), contains NUL (Postgres text cannot hold it), or starts with
 * '\u0001' itself (so no plain value can collide with a hashed key). Queries apply the same
 * function, so matching stays exact.
 */
export function indexKey(value: string): string {
  if (
    value.length <= MAX_INDEXED_VALUE_LENGTH &&
    !value.startsWith(HASHED_PREFIX) &&
    !value.includes('\u0000')
  ) {
    return value;
  }
  return HASHED_PREFIX + createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `indexKey` of each distinct value, deduplicated. */
export function indexKeys(values: readonly string[]): string[] {
  return [...new Set(values.map(indexKey))];
}
