/**
 * Kind classes (NIP-01) and small readers of well-known tags: `d` (addressable identity),
 * `expiration` (NIP-40), proof of work (NIP-13) and `a` addresses.
 */
import type { NostrEvent } from './types.js';
import { isHex64 } from './validate.js';

/** How the store treats an event of a given kind. */
export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable';

/** Classifies a kind: 0, 3 and 10000–19999 replaceable; 20000–29999 ephemeral; 30000–39999 addressable. */
export function kindClass(kind: number): KindClass {
  if (kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000)) return 'replaceable';
  if (kind >= 20000 && kind < 30000) return 'ephemeral';
  if (kind >= 30000 && kind < 40000) return 'addressable';
  return 'regular';
}

/** True for kinds where only the newest event per (kind, pubkey) is kept. */
export function isReplaceable(kind: number): boolean {
  return kindClass(kind) === 'replaceable';
}

/** True for kinds that are relayed but never stored. */
export function isEphemeral(kind: number): boolean {
  return kind >= 20000 && kind < 30000;
}

/** True for kinds where only the newest event per (kind, pubkey, d tag) is kept. */
export function isAddressable(kind: number): boolean {
  return kind >= 30000 && kind < 40000;
}

/** The value of the event's first `d` tag, or '' when there is none or it has no value. */
export function dTagValue(event: Pick<NostrEvent, 'tags'>): string {
  for (const tag of event.tags) if (tag[0] === 'd') return tag[1] ?? '';
  return '';
}

/**
 * The identity under which a newer event replaces an older one: `kind:pubkey` for replaceable
 * kinds, `kind:pubkey:d` for addressable kinds, undefined for regular and ephemeral kinds.
 */
export function replaceableKey(event: Pick<NostrEvent, 'kind' | 'pubkey' | 'tags'>): string | undefined {
  const cls = kindClass(event.kind);
  if (cls === 'replaceable') return `${event.kind}:${event.pubkey}`;
  if (cls === 'addressable') return `${event.kind}:${event.pubkey}:${dTagValue(event)}`;
  return undefined;
}

const DECIMAL = /^\d{1,16}$/;

/** NIP-40 expiration time in unix seconds from the first well-formed `expiration` tag, if any. */
export function expirationOf(event: Pick<NostrEvent, 'tags'>): number | undefined {
  for (const tag of event.tags) {
    if (tag[0] !== 'expiration') continue;
    const value = tag[1];
    if (value === undefined || !DECIMAL.test(value)) continue;
    const seconds = Number(value);
    if (Number.isSafeInteger(seconds)) return seconds;
  }
  return undefined;
}

/** NIP-13 difficulty: the number of leading zero bits of a hex id (0..256 for a 64-char id). */
export function powDifficulty(id: string): number {
  let bits = 0;
  for (let i = 0; i < id.length; i++) {
    const nibble = Number.parseInt(id[i] as string, 16);
    if (Number.isNaN(nibble)) return bits;
    if (nibble === 0) {
      bits += 4;
      continue;
    }
    return bits + Math.clz32(nibble) - 28;
  }
  return bits;
}

/** A parsed NIP-01 address (`a` tag value). */
export interface EventAddress {
  kind: number;
  pubkey: string;
  d: string;
}

const KIND_TEXT = /^\d{1,5}$/;

/**
 * Parses `kind:pubkey:d` (the `d` part may itself contain colons and may be empty; a missing
 * third part reads as ''). Returns undefined for a bad kind or a pubkey that is not 64 lowercase hex.
 */
export function parseAddress(a: string): EventAddress | undefined {
  const first = a.indexOf(':');
  if (first < 0) return undefined;
  const second = a.indexOf(':', first + 1);
  const kindText = a.slice(0, first);
  const pubkey = second < 0 ? a.slice(first + 1) : a.slice(first + 1, second);
  if (!KIND_TEXT.test(kindText) || !isHex64(pubkey)) return undefined;
  const kind = Number(kindText);
  if (kind > 65535) return undefined;
  return { kind, pubkey, d: second < 0 ? '' : a.slice(second + 1) };
}
