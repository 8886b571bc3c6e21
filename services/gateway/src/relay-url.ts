const DEFAULT_PORTS: Record<string, string> = { 'ws:': '80', 'wss:': '443', 'http:': '80', 'https:': '443' };

/** The parts of a relay URL that must agree for a NIP-42 `relay` tag to count as ours. */
function relayKey(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (!(parsed.protocol in DEFAULT_PORTS)) return undefined;
  const port = parsed.port === '' || parsed.port === DEFAULT_PORTS[parsed.protocol] ? '' : parsed.port;
  const path = parsed.pathname.replace(/\/+$/, '');
  // URL already lower-cases the host; the scheme (ws vs wss, or http/https behind a proxy) is ignored.
  return `${parsed.hostname}:${port}${path}`;
}

/**
 * Whether a NIP-42 `relay` tag names this relay, loosely: any of ws/wss (and http/https)
 * schemes, host case-insensitive, default ports implied, trailing slashes ignored. With no
 * configured URL every tag is accepted.
 */
export function relayUrlMatches(configured: string | undefined, tag: string): boolean {
  if (configured === undefined || configured === '') return true;
  const want = relayKey(configured);
  return want !== undefined && want === relayKey(tag);
}
