import { type NostrEvent, okFrame, type RawEvent, verifyEvent } from '@nrelay/protocol';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { relayUrlMatches } from '../relay-url.js';
import { AUTH_KIND } from './event.js';

/** What an AUTH event is checked against. */
export interface AuthExpectation {
  challenge: string;
  /**
   * RELAY_URL, else the URL the client connected to (`Connection.connectUrl`); the `relay` tag
   * must name it. Undefined (no usable Host) refuses every AUTH.
   */
  relayUrl: string | undefined;
  windowSeconds: number;
  /** Current time in seconds. */
  now: number;
}

function tagValue(event: NostrEvent, name: string): string | undefined {
  for (const tag of event.tags) if (tag[0] === name) return tag[1];
  return undefined;
}

/**
 * Checks a NIP-42 AUTH event: kind 22242, this connection's challenge, our relay URL (loosely),
 * created_at within the window, valid id and signature. Returns an `invalid:` reason, or
 * undefined when the event authenticates its pubkey. Cheap checks run before the signature.
 */
export function checkAuthEvent(event: NostrEvent, expect: AuthExpectation): string | undefined {
  if (event.kind !== AUTH_KIND) return `invalid: AUTH event must be kind ${AUTH_KIND}`;
  if (tagValue(event, 'challenge') !== expect.challenge) return 'invalid: challenge does not match';
  // Without this binding a relay the user signed in to could replay the event here.
  const relay = tagValue(event, 'relay');
  if (relay === undefined) return 'invalid: AUTH event must have a relay tag naming this relay';
  if (!relayUrlMatches(expect.relayUrl, relay)) return 'invalid: relay tag does not match this relay';
  if (Math.abs(event.created_at - expect.now) > expect.windowSeconds) {
    return `invalid: created_at must be within ${expect.windowSeconds} seconds of now`;
  }
  const verdict = verifyEvent(event);
  if (verdict === 'bad-id') return 'invalid: event id does not match';
  if (verdict === 'bad-sig') return 'invalid: bad signature';
  return undefined;
}

/**
 * AUTH (NIP-42): on success the pubkey joins the connection's authenticated set (several may)
 * and the answer is `OK true`; otherwise `OK false` with the reason. A client answering
 * before it was challenged gets the challenge now, so it can retry.
 */
export function handleAuth(ctx: GatewayContext, conn: Connection, raw: RawEvent): void {
  const event = raw.event;
  const reason = checkAuthEvent(event, {
    challenge: conn.challenge,
    relayUrl: ctx.config.RELAY_URL || conn.connectUrl,
    windowSeconds: ctx.config.AUTH_WINDOW_SECONDS,
    now: Math.floor(Date.now() / 1000),
  });
  if (reason !== undefined) {
    conn.sendChallenge();
    conn.send('OK', okFrame(event.id, false, reason));
    return;
  }
  conn.authenticate(event.pubkey);
  conn.logger.info({ pubkey: event.pubkey }, 'authenticated');
  conn.send('OK', okFrame(event.id, true, ''));
}
