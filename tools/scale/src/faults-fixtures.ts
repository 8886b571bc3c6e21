/** What the fault tests across namespaces share: settings, event streams, waits, answers. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type NostrEvent, RawClient } from '@nrelay/testkit';

/** The settings the gateways run with here, and the defaults the watchdog's bound derives from. */
export const ENV = { INGEST_REPLY_TIMEOUT_MS: '5000', INGEST_LOCK_MS: '3000', HOT_WINDOW_BYTES: '8388608' };
const FANOUT_HEARTBEAT_MS = 1000;
const FANOUT_HEARTBEAT_TIMEOUT_MS = 3000;
const FANOUT_LOSS_GRACE_MS = 5000;
/** Not ready within grace (from the first unanswered PING) + a beat to send it + a beat to see it. */
export const NOT_READY_WITHIN_MS =
  Math.max(FANOUT_LOSS_GRACE_MS, FANOUT_HEARTBEAT_TIMEOUT_MS) + 2 * FANOUT_HEARTBEAT_MS;
/** Scheduling slack on two shared cores. */
export const SLACK_MS = 3000;

export const httpOf = (ws: string) => ws.replace(/^ws/, 'http');

export async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls `check` until it returns a value, or fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
}

export const readyIs = (url: string, want: number, timeoutMs: number, what: string) =>
  waitUntil(
    async () => ((await status(`${httpOf(url)}/readyz`)) === want ? true : undefined),
    timeoutMs,
    what,
  );

/** The ids of `events` a REQ by ids through `url` does not find. */
export async function missing(url: string, events: readonly NostrEvent[]): Promise<string[]> {
  const c = await RawClient.open(url);
  try {
    const found = new Set<string>();
    for (let i = 0; i < events.length; i += 400) {
      const ids = events.slice(i, i + 400).map((e) => e.id);
      const r = await c.query([{ ids }], { timeoutMs: 15_000 });
      assert.equal(r.end, 'EOSE', `REQ by ids through ${url}: ${r.reason}`);
      for (const e of r.events) found.add(e.id);
    }
    return events.filter((e) => !found.has(e.id)).map((e) => e.id);
  } finally {
    c.close();
  }
}

/** Connects through HAProxy, retrying while it still routes to a gateway that refuses (503). */
export async function reconnect(url: string, what: string): Promise<RawClient> {
  return waitUntil(() => RawClient.open(url, 2000), 20_000, what);
}

/** Answers (OK frames) of `client` by event id: how many, and whether the first was true. */
export function okTally(client: RawClient): Map<string, { count: number; ok: boolean }> {
  const tally = new Map<string, { count: number; ok: boolean }>();
  for (const m of client.all('OK')) {
    const id = String(m[1]);
    const seen = tally.get(id);
    tally.set(id, { count: (seen?.count ?? 0) + 1, ok: seen?.ok ?? m[2] === true });
  }
  return tally;
}
