import { dTagValue, expirationOf, kindClass, type RawEvent } from '@nrelay/protocol';
import { indexKey } from './index-key.js';

/** An event turned into the values of its rows. */
export interface PreparedEvent {
  id: string;
  pubkey: string;
  kind: number;
  createdAt: number;
  raw: string;
  /** `indexKey(kind:pubkey[:d])` for replaceable and addressable kinds, else null. */
  replaceKey: string | null;
  /** `indexKey` of the d tag ('' for replaceable kinds), for `a` tombstone lookups. */
  dKey: string;
  expiresAt: number | null;
  /** Content without NUL, or null when empty: the text the search vector is built from. */
  searchText: string | null;
  /** Distinct (letter, indexKey(value)) pairs of the single-letter tags. */
  tags: Array<{ name: string; key: string }>;
  /** Which path of `save` handles it. */
  path: 'regular' | 'replaceable' | 'deletion' | 'vanish';
}

const SINGLE_LETTER = /^[A-Za-z]$/;

/**
 * `kind:pubkey` for replaceable kinds, `kind:pubkey:d` for addressable ones: the same strings as
 * `replaceableKey` of @nrelay/protocol, built from parts so NIP-09 `a` addresses map onto them.
 */
export function addressString(kind: number, pubkey: string, d: string): string | undefined {
  const cls = kindClass(kind);
  if (cls === 'replaceable') return `${kind}:${pubkey}`;
  if (cls === 'addressable') return `${kind}:${pubkey}:${d}`;
  return undefined;
}

/** NIP-62 request to vanish: applied (vanish.ts), not stored as an event. */
const VANISH_KIND = 62;

function pathOf(kind: number, address: string | undefined): PreparedEvent['path'] {
  if (kind === 5) return 'deletion';
  if (kind === VANISH_KIND) return 'vanish';
  return address === undefined ? 'regular' : 'replaceable';
}

/**
 * Checks what the store itself cannot hold and computes the row values, or returns the reason
 * the event is refused. Ephemeral kinds are refused rather than silently dropped: the caller
 * publishes them without storing, so one reaching the store is a bug upstream.
 */
export function prepareEvent(
  { event, raw }: RawEvent,
  searchKinds: ReadonlySet<number> | 'all' = 'all',
): PreparedEvent | { invalid: string } {
  const cls = kindClass(event.kind);
  if (cls === 'ephemeral') return { invalid: 'ephemeral events are not stored' };
  // Valid JSON never holds a raw NUL (it is escaped as \u0000); ids and pubkeys are hex.
  if (raw.includes('\u0000') || event.id.includes('\u0000') || event.pubkey.includes('\u0000')) {
    return { invalid: 'NUL character in event text' };
  }
  const seen = new Set<string>();
  const tags: PreparedEvent['tags'] = [];
  for (const tag of event.tags) {
    const [name, value] = tag;
    if (name === undefined || value === undefined || !SINGLE_LETTER.test(name)) continue;
    const key = indexKey(value);
    const pair = `${name}\u0000${key}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    tags.push({ name, key });
  }
  const d = cls === 'addressable' ? (dTagValue(event) ?? '') : '';
  const address = addressString(event.kind, event.pubkey, d);
  const searchable = searchKinds === 'all' || searchKinds.has(event.kind);
  const content = searchable ? event.content.replaceAll('\u0000', '') : '';
  return {
    id: event.id,
    pubkey: event.pubkey,
    kind: event.kind,
    createdAt: event.created_at,
    raw,
    replaceKey: address === undefined ? null : indexKey(address),
    dKey: indexKey(d),
    expiresAt: expirationOf(event) ?? null,
    searchText: content.trim() === '' ? null : content,
    tags,
    path: pathOf(event.kind, address),
  };
}
