import { createServer } from 'node:net';

/** Whether `host:port` can be listened on right now. */
export function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that is free on `host` now, drawn from 20000–32767: below Linux's ephemeral range
 * (32768–60999), so the outbound connections the services open before they listen (Postgres,
 * Redis) cannot take it in the meantime, as a kernel-assigned port 0 could.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free TCP port found on ${host} in 20000-32767`);
}

/** Polls `url` until it answers 200, or throws after `timeoutMs` naming the service. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  name: string,
  alive?: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (alive && !alive()) throw new Error(`${name} exited before it became ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become ready at ${url} within ${timeoutMs} ms (last: ${last})`);
}
