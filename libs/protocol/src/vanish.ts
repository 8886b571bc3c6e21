/**
 * NIP-62 requests to vanish: which relays a kind 62 names. Pure; the ingest pipeline applies
 * only requests that name this relay (docs/adr/0021-vanish-and-hll.md).
 */
import type { NostrEvent } from './types.js';
import { sameLooseUrl } from './url.js';

/** Kind of a NIP-62 request to vanish. */
export const VANISH_KIND = 62;

/** The `relay` value that addresses every relay (NIP-62, upper case only). */
export const ALL_RELAYS = 'ALL_RELAYS';

/**
 * Whether a request to vanish names this relay: a `relay` tag `ALL_RELAYS`, or a URL that
 * loosely equals `relayUrl` (RELAY_URL, else the URL the client connected to). `none`: it has
 * no `relay` tag at all; `other`: every `relay` tag names another relay (or `relayUrl` is unknown).
 */
export function vanishTarget(
  event: Pick<NostrEvent, 'tags'>,
  relayUrl: string | undefined,
): 'this' | 'none' | 'other' {
  let tagged = false;
  for (const [name, value] of event.tags) {
    if (name !== 'relay' || value === undefined) continue;
    tagged = true;
    if (value === ALL_RELAYS) return 'this';
    if (relayUrl !== undefined && relayUrl !== '' && sameLooseUrl(relayUrl, value)) return 'this';
  }
  return tagged ? 'other' : 'none';
}
