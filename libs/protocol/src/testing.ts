/**
 * Test helpers (`@nrelay/protocol/testing`): events signed by nostr-tools, the client library
 * the relay is checked against. Only tests import this; nostr-tools is a dev dependency.
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
