import { sameLooseUrl } from '@nrelay/protocol';

/**
 * Whether a NIP-42 `relay` tag names this relay, loosely (`sameLooseUrl`: any of ws/wss/http/https,
 * host case-insensitive, default ports implied, trailing slashes ignored). `expected` is
 * RELAY_URL, or the URL the client connected to; when neither is known nothing matches.
 */
export function relayUrlMatches(expected: string | undefined, tag: string): boolean {
  if (expected === undefined || expected === '') return false;
  return sameLooseUrl(expected, tag);
}
