import { relayMeter } from '@nrelay/telemetry';
import type { HotWindowFeedStats } from './feed.js';
import type { HotWindowQueryStats } from './query-client.js';
import type { HotWindow } from './window.js';

/** What one gateway's hot window exports. */
export interface HotWindowMetricsSource {
  window: HotWindow;
  budgetBytes: number;
  feed: Readonly<HotWindowFeedStats>;
  queries: Readonly<HotWindowQueryStats>;
}

const sources = new Set<HotWindowMetricsSource>();
let registered = false;
const FROM_WINDOW = { answer: 'window' };
const FROM_QUERY = { answer: 'query' };

function register(): void {
  if (registered) return;
  registered = true;
  const meter = relayMeter();
  const gauge = (name: string, description: string) => meter.createObservableGauge(name, { description });
  const counter = (name: string, description: string) => meter.createObservableCounter(name, { description });
  const bytes = gauge('nrelay_hot_window_bytes', 'Bytes the hot window counts now (never above its budget)');
  const budget = gauge('nrelay_hot_window_budget_bytes', 'The hot window budget, HOT_WINDOW_BYTES');
  const events = gauge('nrelay_hot_window_events', 'Stored events held in the hot window');
  const hot = gauge('nrelay_hot_window_hot', '1 while the hot window is warm and answering, 0 while cold');
  const floor = gauge(
    'nrelay_hot_window_floor_seconds',
    'created_at from which the hot window holds every stored event (0 when it holds all of them)',
  );
  const filters = counter(
    'nrelay_hot_window_filters',
    'REQ filters answered, by where the answer came from (window or query service)',
  );
  const warmups = counter('nrelay_hot_window_warmups', 'Hot window warm-ups completed');
  const failures = counter('nrelay_hot_window_warmup_failures', 'Hot window warm-ups that failed (retried)');
  const colds = counter('nrelay_hot_window_colds', 'Times the hot window was marked cold and re-warmed');
  const warmupSeconds = gauge('nrelay_hot_window_last_warmup_seconds', 'Duration of the last warm-up');
  meter.addBatchObservableCallback(
    (result) => {
      let n = {
        bytes: 0,
        budget: 0,
        events: 0,
        hot: 0,
        hits: 0,
        misses: 0,
        warmups: 0,
        failures: 0,
        colds: 0,
      };
      for (const s of sources) {
        n = {
          bytes: n.bytes + s.window.bytes,
          budget: n.budget + s.budgetBytes,
          events: n.events + s.window.size,
          hot: n.hot + (s.window.state === 'hot' ? 1 : 0),
          hits: n.hits + s.queries.hits,
          misses: n.misses + s.queries.misses,
          warmups: n.warmups + s.feed.warmups,
          failures: n.failures + s.feed.warmupFailures,
          colds: n.colds + s.feed.colds,
        };
        if (s.window.state === 'hot') {
          result.observe(floor, Number.isFinite(s.window.floor) ? s.window.floor : 0);
        }
        result.observe(warmupSeconds, s.feed.lastWarmupMs / 1000);
      }
      result.observe(bytes, n.bytes);
      result.observe(budget, n.budget);
      result.observe(events, n.events);
      result.observe(hot, n.hot);
      result.observe(filters, n.hits, FROM_WINDOW);
      result.observe(filters, n.misses, FROM_QUERY);
      result.observe(warmups, n.warmups);
      result.observe(failures, n.failures);
      result.observe(colds, n.colds);
    },
    [bytes, budget, events, hot, floor, filters, warmups, failures, colds, warmupSeconds],
  );
}

/** Exports a hot window's gauges and counters on /metrics; returns the function that stops. */
export function exportHotWindowStats(source: HotWindowMetricsSource): () => void {
  register();
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}
