/**
 * Test helpers (`@nrelay/protocol/testing`): events signed by nostr-tools, the client library
 * the relay is checked against, and a seeded PRNG for reproducible datasets. Only tests and
 * the benchmark tool import this; nostr-tools is their dependency, not the relay's.
 */
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import type { NostrEvent, RawEvent } from './types.js';

/** What a test sets of an event; the rest defaults to a kind-1 note with no tags, created now. */
export interface EventTemplate {
  kind?: number;
  content?: string;
  tags?: string[][];
  created_at?: number;
}

/**
 * Signs a template with `sk` (a fresh key by default) and returns the plain event (without the
 * symbols nostr-tools adds) and its JSON text, as the gateway's parser would hand them on.
 */
export function signedRaw(template: EventTemplate = {}, sk: Uint8Array = generateSecretKey()): RawEvent {
  const e = finalizeEvent(
    {
      kind: template.kind ?? 1,
      content: template.content ?? '',
      tags: template.tags ?? [],
      created_at: template.created_at ?? Math.floor(Date.now() / 1000),
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

/** mulberry32: a tiny seeded PRNG with uniform output in [0, 1), so a dataset is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
