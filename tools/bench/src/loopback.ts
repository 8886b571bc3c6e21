/**
 * The benchmark only ever talks to this machine: a load generator pointed at someone else's
 * relay is an attack, so every URL is checked before the first connection.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', '::1', 'localhost']);

/** True for 127.0.0.0/8, ::1 and `localhost`. */
function isLoopbackHost(hostname: string): boolean {
  if (LOOPBACK_HOSTS.has(hostname)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Returns `url` if it is a ws:// or wss:// URL on a loopback host; throws otherwise. */
export function loopbackRelayUrl(url: string, what = '--url'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} ${JSON.stringify(url)} is not a URL (expected ws://127.0.0.1:PORT)`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new Error(`${what} ${url} must start with ws:// or wss://`);
  }
  if (!isLoopbackHost(parsed.hostname)) {
    throw new Error(`${what} ${url}: the benchmark only targets 127.0.0.1, ::1 or localhost`);
  }
  return url;
}

/**
 * Returns `url` if it is a postgres:// URL whose host is loopback or a Unix socket folder
 * (`?host=/run/postgresql`); throws otherwise.
 */
export function loopbackDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--database-url is not a URL (expected postgres://user@127.0.0.1:5432/db)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error('--database-url must start with postgres:// or postgresql://');
  }
  const socketHost = parsed.searchParams.get('host');
  const local = socketHost !== null ? socketHost.startsWith('/') : isLoopbackHost(parsed.hostname);
  if (!local) throw new Error('--database-url: the benchmark only writes to a database on 127.0.0.1 or ::1');
  return url;
}
