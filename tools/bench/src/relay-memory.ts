import { sleep } from './client.js';
import { residentBytes } from './machine.js';

/**
 * Reading a relay process's memory from outside: RSS from /proc, and from the relay's
 * Prometheus endpoint its open connections and, when it exports one, its V8 heap. A garbage
 * collection cannot be forced from here, so RSS is read once it has stopped moving.
 */

/** Gauges that carry the V8 heap in use, by the exporters that name them so; summed over labels. */
const HEAP_GAUGES = ['nodejs_heap_size_used_bytes', 'v8js_memory_heap_used_bytes', 'v8js_memory_heap_used'];
/** The gateway's open WebSocket connections (services/gateway/src/metrics.ts). */
const CONNECTIONS_GAUGE = 'nrelay_connections';

/** The sum of a gauge over all its label sets in Prometheus text, or undefined when absent. */
export function gaugeSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(
      rest
        .slice(rest.lastIndexOf('}') + 1)
        .trim()
        .split(' ')[0],
    );
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** What a relay's /metrics says about memory and connections (undefined: not exported). */
export interface MetricsMemory {
  heapUsedBytes: number | undefined;
  connections: number | undefined;
}

/** Reads `metricsUrl`; undefined when it does not answer 200 within 5 s. */
export async function readMetrics(metricsUrl: string): Promise<MetricsMemory | undefined> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const heaps = HEAP_GAUGES.map((g) => gaugeSum(text, g)).filter((v) => v !== undefined);
    return { heapUsedBytes: heaps[0], connections: gaugeSum(text, CONNECTIONS_GAUGE) };
  } catch {
    return undefined;
  }
}

/** `http://host:port/metrics` of a relay's `ws://host:port` URL (the relay serves both). */
export function metricsUrlOf(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/metrics';
  u.search = '';
  return u.toString();
}

/** Settings of {@link settledRss}. */
export interface SettleOptions {
  /** Always wait at least this long. */
  minMs: number;
  /** Give up waiting for stability after this long and return the last reading. */
  maxMs: number;
  intervalMs: number;
  /** Readings this close (fraction of the value) count as unchanged. */
  tolerance: number;
  /** Unchanged readings in a row needed. */
  stableReadings: number;
}

/** Default settle: at least 3 s, at most 30 s, until three readings a second apart agree within 1%. */
export const SETTLE_DEFAULTS: SettleOptions = {
  minMs: 3000,
  maxMs: 30_000,
  intervalMs: 1000,
  tolerance: 0.01,
  stableReadings: 3,
};

/**
 * Summed RSS of `pids` once it stopped moving (see {@link SettleOptions}), with the time it took
 * and whether it did settle. `read` is injectable for tests.
 */
export async function settledRss(
  pids: readonly number[],
  opts: SettleOptions = SETTLE_DEFAULTS,
  read: (pid: number) => number = residentBytes,
): Promise<{ bytes: number; waitedMs: number; settled: boolean }> {
  const t0 = performance.now();
  const total = (): number => pids.reduce((sum, pid) => sum + read(pid), 0);
  let last = total();
  let unchanged = 0;
  for (;;) {
    const waited = performance.now() - t0;
    const settled = unchanged >= opts.stableReadings - 1;
    if ((settled && waited >= opts.minMs) || waited >= opts.maxMs)
      return { bytes: last, waitedMs: waited, settled };
    await sleep(opts.intervalMs);
    const now = total();
    unchanged = Math.abs(now - last) <= opts.tolerance * Math.max(last, 1) ? unchanged + 1 : 0;
    last = now;
  }
}

/** What a gateway's /metrics says about its hot window (services/gateway/src/hot-window/metrics.ts). */
export interface HotWindowReading {
  /** REQ filters answered from the window and from the query service, since start. */
  fromWindow: number;
  fromQuery: number;
  bytes: number;
  budgetBytes: number;
  events: number;
  /** Warm-ups completed since start, and whether it answers now. */
  warmups: number;
  hot: boolean;
}

/** The hot window's figures, or undefined when the relay exports none (off, or another relay). */
export async function readHotWindow(metricsUrl: string): Promise<HotWindowReading | undefined> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const budgetBytes = gaugeSum(text, 'nrelay_hot_window_budget_bytes');
    if (budgetBytes === undefined) return undefined;
    return {
      fromWindow: gaugeSum(text, 'nrelay_hot_window_filters_total{answer="window"}') ?? 0,
      fromQuery: gaugeSum(text, 'nrelay_hot_window_filters_total{answer="query"}') ?? 0,
      bytes: gaugeSum(text, 'nrelay_hot_window_bytes') ?? 0,
      budgetBytes,
      events: gaugeSum(text, 'nrelay_hot_window_events') ?? 0,
      warmups: gaugeSum(text, 'nrelay_hot_window_warmups_total') ?? 0,
      hot: gaugeSum(text, 'nrelay_hot_window_hot') === 1,
    };
  } catch {
    return undefined;
  }
}
