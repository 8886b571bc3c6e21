import { createHash, randomBytes } from 'node:crypto';
import { signedRaw } from '@nrelay/protocol/testing';
import { getPow } from 'nostr-tools/nip13';
import { generateSecretKey, getEventHash, getPublicKey, type NostrEvent } from 'nostr-tools/pure';

/** A fresh key pair; each test uses its own so tests on a shared relay do not see each other. */
export interface Keys {
  readonly sk: Uint8Array;
  readonly pk: string;
}

/** Optional event fields; the rest are filled with a kind-1 note at the current time. */
export interface Draft {
  kind?: number;
  content?: string;
  tags?: string[][];
  created_at?: number;
}

/** New random keys. */
export function newKeys(): Keys {
  const sk = generateSecretKey();
  return { sk, pk: getPublicKey(sk) };
}

/** The current Unix time in seconds. */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}

/** A random lowercase word of letters only, unlikely to occur in any other content. */
export function randomWord(length = 12): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(length)].map((b) => letters[b % letters.length]).join('');
}

/**
 * A signed event. nostr-tools only checks field types, so an out-of-range numeric kind or
 * created_at still gets a correct id and signature: the relay must reject it on range alone.
 */
export function signEvent(keys: Keys, draft: Draft = {}): NostrEvent {
  return signedRaw(
    {
      kind: draft.kind ?? 1,
      content: draft.content ?? `note ${randomWord()}`,
      tags: draft.tags ?? [],
      created_at: draft.created_at ?? nowSec(),
    },
    keys.sk,
  ).event;
}

/** A signed event whose id has at least `bits` leading zero bits (NIP-13), keeping created_at. */
export function mineEvent(keys: Keys, draft: Draft, bits: number): NostrEvent {
  const base = {
    kind: draft.kind ?? 1,
    content: draft.content ?? `note ${randomWord()}`,
    created_at: draft.created_at ?? nowSec(),
    pubkey: keys.pk,
  };
  for (let nonce = 0; ; nonce++) {
    const tags = [...(draft.tags ?? []), ['nonce', String(nonce), String(bits)]];
    if (getPow(getEventHash({ ...base, tags })) >= bits) return signEvent(keys, { ...base, tags });
  }
}

/** A signed event whose id has fewer than `bits` leading zero bits. */
export function eventWithoutPow(keys: Keys, bits: number, draft: Draft = {}): NostrEvent {
  for (;;) {
    const e = signEvent(keys, draft);
    if (getPow(e.id) < bits) return e;
  }
}

/**
 * The NIP-01 id of arbitrary field values, for events nostr-tools refuses to build (a string
 * created_at, non-string tags). Such events cannot be signed here, so their `sig` is borrowed.
 */
export function idOf(fields: {
  pubkey: unknown;
  created_at: unknown;
  kind: unknown;
  tags: unknown;
  content: unknown;
}): string {
  const serial = JSON.stringify([
    0,
    fields.pubkey,
    fields.created_at,
    fields.kind,
    fields.tags,
    fields.content,
  ]);
  return createHash('sha256').update(serial).digest('hex');
}

/** Replaces the hex digit at `index` of `hex` with a different one. */
export function flipHex(hex: string, index = hex.length - 1): string {
  const c = hex[index] === '0' ? '1' : '0';
  return hex.slice(0, index) + c + hex.slice(index + 1);
}
