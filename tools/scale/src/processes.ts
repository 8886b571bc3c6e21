/** The topology's processes: waiting for Redis, stopping one with a signal, the stop order. */
import type { ServiceProcess } from '@nrelay/devcluster';
import { connectRedisOnce } from '@nrelay/redis';

/** Waits until Redis at `url` answers PING. */
export async function waitForRedis(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      (await connectRedisOnce(url, 1000)).disconnect();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer PING: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Stops with `signal` (SIGTERM: the graceful stop, waited on; SIGKILL: kill -9). */
export async function signalService(s: ServiceProcess, signal: NodeJS.Signals): Promise<void> {
  if (signal === 'SIGTERM') return s.stop();
  if (signal === 'SIGKILL') return s.kill();
  if (s.pid !== undefined) process.kill(s.pid, signal);
  await s.exited();
}

export function at<T>(list: readonly T[], i: number, what: string): T {
  const item = list[i];
  if (item === undefined) throw new Error(`no ${what} ${i} (0-based) in this topology`);
  return item;
}

/** Stop order: gateways, ingest, query, HAProxy, Redis last. */
export const STOP_ORDER = ['gateway', 'ingest', 'query', 'haproxy', 'redis'];
export function rank(s: ServiceProcess): number {
  const i = STOP_ORDER.findIndex((p) => s.name.startsWith(p));
  return i < 0 ? STOP_ORDER.length : i;
}
