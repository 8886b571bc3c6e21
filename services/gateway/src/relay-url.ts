import { sameLooseUrl } from '@nrelay/protocol';

/**
 * Whether a NIP-42 `relay` tag names this relay, loosely (`sameLooseUrl`: any of ws/wss/http/https,
 * host case-insensitive, default ports implied, trailing slashes ignored). With no configured
 * URL every tag is accepted.
 */
export function relayUrlMatches(configured: string | undefined, tag: string): boolean {
  if (configured === undefined || configured === '') return true;
  return sameLooseUrl(configured, tag);
}
