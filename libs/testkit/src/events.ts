/**
 * The one event signer of the tests: keys, and events signed by nostr-tools (the client library
 * the relay is checked against), each with its JSON text as the gateway's parser would hand it on.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import { getPow } from 'nostr-tools/nip13';
import { finalizeEvent, generateSecretKey, getEventHash, getPublicKey } from 'nostr-tools/pure';

export type { NostrEvent, RawEvent };

/** A key pair: the secret key and its x-only public key in hex. */
export interface Keys {
  readonly sk: Uint8Array;
  readonly pk: string;
}

/** What a test sets of an event; the rest defaults to a kind-1 note with no tags, created now. */
export interface Draft {
  kind?: number;
  content?: string;
  tags?: string[][];
  created_at?: number;
}

/** The key pair of `sk`. */
export function keysOf(sk: Uint8Array): Keys {
  return { sk, pk: getPublicKey(sk) };
}

/** New random keys; tests on a shared relay each use their own so they do not see each other. */
export function newKeys(): Keys {
  return keysOf(generateSecretKey());
}

/** A fixed key pair (secret key bytes 1..32): the author {@link signedRaw} signs with by default. */
export const TEST_KEYS: Keys = keysOf(Uint8Array.from({ length: 32 }, (_, i) => i + 1));

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
 * Signs `draft` (empty content by default) with `sk` ({@link TEST_KEYS} by default) and returns
 * the plain event (without the symbols nostr-tools adds) and its JSON text. nostr-tools only
 * checks field types, so an out-of-range kind or created_at still gets a correct id and signature.
 */
export function signedRaw(draft: Draft = {}, sk: Uint8Array = TEST_KEYS.sk): RawEvent {
  const e = finalizeEvent(
    {
      kind: draft.kind ?? 1,
      content: draft.content ?? '',
      tags: draft.tags ?? [],
      created_at: draft.created_at ?? nowSec(),
    },
    sk,
  );
  const event: NostrEvent = {
    id: e.id,
    pubkey: e.pubkey,
    created_at: e.created_at,
    kind: e.kind,
    tags: e.tags,
    content: e.content,
    sig: e.sig,
  };
  return { event, raw: JSON.stringify(event) };
}

/** An event signed by `keys`; without `content` it is a note with a random word, so ids differ. */
export function signEvent(keys: Keys, draft: Draft = {}): NostrEvent {
  return signedRaw({ ...draft, content: draft.content ?? `note ${randomWord()}` }, keys.sk).event;
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

/** A kind (regular range) and tag unique to one test, and `count` events of one author carrying them. */
export function eventStream(
  count: number,
  label: string,
): { filter: { kinds: number[]; '#t': string[] }; events: NostrEvent[] } {
  const kind = 1000 + randomInt(9000);
  const tag = randomWord(16);
  const keys = newKeys();
  return {
    filter: { kinds: [kind], '#t': [tag] },
    events: Array.from({ length: count }, (_, i) =>
      signEvent(keys, { kind, tags: [['t', tag]], content: `${label} ${i}` }),
    ),
  };
}
