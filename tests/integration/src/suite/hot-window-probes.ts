import assert from 'node:assert/strict';
import { type Keys, RawClient, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import type { RelayUnderTest } from '../harness/types.js';
import { waitUntil } from '../harness/wait.js';
import { openAs } from './access-helpers.js';
import { assertAccepted, withClient } from './context.js';

/** One gateway's hot-window series, read from its /metrics page. */
export interface WindowSample {
  /** REQ filters answered from the window (`nrelay_hot_window_filters_total{answer="window"}`). */
  window: number;
  /** REQ filters handed to the query service. */
  query: number;
  /** Gateways whose window is hot (1 per hot gateway). */
  hot: number;
  colds: number;
  warmups: number;
  events: number;
}

/**
 * Where a relay's hot windows live: each gateway of a cluster (its own port, bypassing the load
 * balancer), else the one process. `ws` for clients, `http` for /metrics.
 */
export function windowGateways(relay: RelayUnderTest): Array<{ ws: string; http: string }> {
  const gateways = (relay as { gatewayUrls?: readonly string[] }).gatewayUrls;
  const urls = gateways ?? [relay.url];
  return urls.map((ws) => ({ ws, http: ws.replace(/^ws/, 'http') }));
}

/** A sample's value in a Prometheus page; fails when the series is missing (the window is off). */
function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line !== undefined, `/metrics has no ${series} (is the hot window on?)`);
  return Number(line.slice(series.length + 1));
}

/** The hot-window series of one gateway (`http` is its HTTP base URL). */
export async function windowSample(http: string): Promise<WindowSample> {
  const res = await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200, `${http}/metrics`);
  const page = await res.text();
  return {
    window: sample(page, 'nrelay_hot_window_filters_total{answer="window"}'),
    query: sample(page, 'nrelay_hot_window_filters_total{answer="query"}'),
    hot: sample(page, 'nrelay_hot_window_hot'),
    colds: sample(page, 'nrelay_hot_window_colds_total'),
    warmups: sample(page, 'nrelay_hot_window_warmups_total'),
    events: sample(page, 'nrelay_hot_window_events'),
  };
}

/** The series summed over every gateway of `relay`. */
export async function relayWindowSample(relay: RelayUnderTest): Promise<WindowSample> {
  const all = await Promise.all(windowGateways(relay).map((g) => windowSample(g.http)));
  const sum: WindowSample = { window: 0, query: 0, hot: 0, colds: 0, warmups: 0, events: 0 };
  for (const s of all) for (const k of Object.keys(sum) as Array<keyof WindowSample>) sum[k] += s[k];
  return sum;
}

/** What moved between two samples. */
export function moved(before: WindowSample, after: WindowSample): WindowSample {
  const d = { ...after };
  for (const k of Object.keys(d) as Array<keyof WindowSample>) d[k] -= before[k];
  return d;
}

/**
 * Waits until the window of every gateway of `relay` is hot and (with `warmupsAbove`) has
 * finished more warm-ups than that sum: a re-warm after a cold is over.
 */
export async function waitHot(
  relay: RelayUnderTest,
  opts: { timeoutMs?: number; warmupsAbove?: number } = {},
): Promise<WindowSample> {
  const gateways = windowGateways(relay).length;
  return waitUntil(
    async () => {
      const s = await relayWindowSample(relay);
      return s.hot === gateways && s.warmups > (opts.warmupsAbove ?? -1) ? s : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 15_000, intervalMs: 50, what: 'every hot window hot' },
  );
}

/**
 * Live subscriptions to `filter` on every gateway (authenticated as `as`, for privileged
 * kinds). Once a gateway delivered an event live, its window holds it too: both are fed by the
 * same fanout message, synchronously, before the gateway reads its next client frame.
 */
interface Watchers {
  /** Resolves once every gateway delivered each of `ids` live. */
  seen(ids: readonly string[]): Promise<void>;
  close(): void;
}

/** Opens {@link Watchers}; call before publishing. */
async function watchGateways(relay: RelayUnderTest, filter: object, as: Keys[] = []): Promise<Watchers> {
  const clients: RawClient[] = [];
  try {
    for (const { ws } of windowGateways(relay)) {
      const c = as.length > 0 ? await openAs(ws, ...as) : await RawClient.open(ws);
      clients.push(c);
      const r = await c.query([filter], { subId: 'watch', keepOpen: true });
      assert.equal(r.end, 'EOSE', `watcher on ${ws}: ${r.reason}`);
    }
  } catch (err) {
    for (const c of clients) c.close();
    throw err;
  }
  return {
    async seen(ids) {
      for (const c of clients) for (const id of ids) await c.nextEvent('watch', id, 0, 10_000);
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}

/**
 * Publishes `events` (objects, or JSON texts sent verbatim) through the relay URL, each of them
 * accepted, and waits until every gateway delivered them live to a watcher of `filter`
 * (authenticated as `as`): every window holds them by then.
 */
export async function publishEverywhere(
  relay: RelayUnderTest,
  filter: object,
  events: ReadonlyArray<NostrEvent | string>,
  as: Keys[] = [],
): Promise<void> {
  const ids = events.map((e) => (typeof e === 'string' ? (JSON.parse(e) as NostrEvent).id : e.id));
  const w = await watchGateways(relay, filter, as);
  try {
    await withClient(relay.url, async (c) => {
      for (const [i, e] of events.entries()) assertAccepted(await c.publish(e), `publishing ${ids[i]}`);
    });
    await w.seen(ids);
  } finally {
    w.close();
  }
}

/** Fails unless every REQ filter since `before` was answered from a window (`n` of them). */
export function assertFromWindow(before: WindowSample, after: WindowSample, n: number, what: string): void {
  const d = moved(before, after);
  assert.equal(d.query, 0, `${what}: ${d.query} filter(s) went to the query service`);
  assert.equal(d.window, n, `${what}: filters answered from the window`);
}

/** Store order: created_at desc, then id asc. */
export function newestFirst(events: readonly NostrEvent[]): NostrEvent[] {
  return [...events].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1));
}

/** Two events of one key, kind and created_at, ordered by id: [lower, higher]. */
export function sameSecondPair(keys: Keys, kind: number, createdAt: number): [NostrEvent, NostrEvent] {
  const x = signEvent(keys, { kind, created_at: createdAt, content: 'x' });
  const y = signEvent(keys, { kind, created_at: createdAt, content: 'y' });
  return x.id < y.id ? [x, y] : [y, x];
}
