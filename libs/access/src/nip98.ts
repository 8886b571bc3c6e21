/**
 * NIP-98 HTTP authorization as NIP-86 requires it: `Authorization: Nostr <base64 event>`, a
 * kind-27235 event whose `u` tag names the request URL, whose `method` tag is the request's
 * method, whose `payload` tag (required by NIP-86) is the sha256 of the body, created within
 * a window of now, with a valid id and signature.
 */
import { createHash } from 'node:crypto';
import { isProtocolError, type NostrEvent, sameLooseUrl, validateEvent, verifyEvent } from '@nrelay/protocol';

/** The NIP-98 event kind. */
export const HTTP_AUTH_KIND = 27235;
/** NIP-98 suggests 60 seconds. */
export const DEFAULT_NIP98_WINDOW_SECONDS = 60;
/** A base64 token longer than this is refused before decoding (a real one is under 1 KiB). */
const MAX_TOKEN_LENGTH = 16_384;

/** What the authorization event is checked against. */
export interface Nip98Expectation {
  /** The absolute URL of the request (see `requestUrl`). */
  url: string;
  method: string;
  /** The request body, hashed against the `payload` tag. */
  body: Uint8Array;
  /** Current time in seconds. */
  now: number;
  windowSeconds?: number;
  /** Require a `payload` tag (NIP-86 does); default true. */
  requirePayload?: boolean;
}

/** The pubkey that signed a valid authorization, or why it is not valid. */
export type Nip98Result = { ok: true; pubkey: string; event: NostrEvent } | { ok: false; reason: string };

/** Whether two absolute URLs name the same resource: NIP-42's loose rules, query string included. */
export function sameResourceUrl(a: string, b: string): boolean {
  return sameLooseUrl(a, b, true);
}

/** Lowercase hex sha256 of a body. */
export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

function tagValue(event: NostrEvent, name: string): string | undefined {
  for (const tag of event.tags) if (tag[0] === name) return tag[1];
  return undefined;
}

/** Decodes `Nostr <base64>` into an event with the NIP-01 shape, or a reason. */
export function decodeAuthorization(header: string | undefined): NostrEvent | string {
  if (header === undefined || header === '') return 'missing Authorization header';
  const match = /^Nostr\s+(\S+)\s*$/i.exec(header);
  if (!match) return 'Authorization scheme must be Nostr';
  const token = match[1]!;
  if (token.length > MAX_TOKEN_LENGTH) return 'authorization token too long';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return 'authorization token is not base64 JSON';
  }
  const event = validateEvent(parsed);
  if (isProtocolError(event)) return `authorization event: ${event.reason.replace(/^invalid: /, '')}`;
  return event;
}

/**
 * Checks a NIP-98 `Authorization` header against a request. Cheap checks run before the
 * signature. Reasons are meant for the caller (they say what to fix, never echo secrets).
 */
export function verifyNip98(header: string | undefined, expect: Nip98Expectation): Nip98Result {
  const event = decodeAuthorization(header);
  if (typeof event === 'string') return { ok: false, reason: event };
  if (event.kind !== HTTP_AUTH_KIND)
    return { ok: false, reason: `authorization event must be kind ${HTTP_AUTH_KIND}` };
  const window = expect.windowSeconds ?? DEFAULT_NIP98_WINDOW_SECONDS;
  if (Math.abs(event.created_at - expect.now) > window) {
    return { ok: false, reason: `authorization event must be created within ${window} seconds of now` };
  }
  const u = tagValue(event, 'u');
  if (u === undefined || !sameResourceUrl(u, expect.url)) {
    return { ok: false, reason: 'authorization u tag does not match the request URL' };
  }
  if ((tagValue(event, 'method') ?? '').toUpperCase() !== expect.method.toUpperCase()) {
    return { ok: false, reason: 'authorization method tag does not match the request method' };
  }
  const payload = tagValue(event, 'payload');
  if (payload === undefined) {
    if (expect.requirePayload ?? true) return { ok: false, reason: 'authorization payload tag is required' };
  } else if (payload.toLowerCase() !== sha256Hex(expect.body)) {
    return { ok: false, reason: 'authorization payload tag does not match the request body' };
  }
  const verdict = verifyEvent(event);
  if (verdict === 'bad-id') return { ok: false, reason: 'authorization event id does not match' };
  if (verdict === 'bad-sig') return { ok: false, reason: 'authorization event has a bad signature' };
  return { ok: true, pubkey: event.pubkey, event };
}
