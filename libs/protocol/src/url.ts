const DEFAULT_PORTS: Record<string, string> = { 'ws:': '80', 'wss:': '443', 'http:': '80', 'https:': '443' };

/**
 * The parts of a relay URL that must agree under the loose rules Nostr uses for NIP-42 `relay`
 * tags and NIP-98 `u` tags: ws/wss/http/https count as one scheme (a relay is reached as ws://
 * and managed as http://, often behind a TLS proxy), the host is case-insensitive, default
 * ports are implied and trailing slashes are ignored. The query string counts only when asked.
 * Undefined for anything that is not such a URL.
 */
export function looseUrlKey(url: string, withQuery = false): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (!(parsed.protocol in DEFAULT_PORTS)) return undefined;
  const port = parsed.port === '' || parsed.port === DEFAULT_PORTS[parsed.protocol] ? '' : parsed.port;
  const path = parsed.pathname.replace(/\/+$/, '');
  return `${parsed.hostname}:${port}${path}${withQuery ? parsed.search : ''}`;
}

/** Whether two URLs name the same relay resource under `looseUrlKey`'s rules. */
export function sameLooseUrl(a: string, b: string, withQuery = false): boolean {
  const key = looseUrlKey(a, withQuery);
  return key !== undefined && key === looseUrlKey(b, withQuery);
}
