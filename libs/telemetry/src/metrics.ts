import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** Histogram buckets for latencies in seconds: 1 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Histogram buckets for batch sizes (events per store transaction). */
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

interface Registry {
  exporter: PrometheusExporter;
  provider: MeterProvider;
  meter: Meter;
}

let registry: Registry | undefined;

function registryOf(): Registry {
  if (registry === undefined) {
    // No server of its own: the relay serves /metrics on the port each service already has.
    const exporter = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    });
    const provider = new MeterProvider({ readers: [exporter] });
    registry = { exporter, provider, meter: provider.getMeter('nrelay') };
  }
  return registry;
}

/**
 * The process's meter. Metrics are always on and exported only by pulling /metrics, so a
 * counter add or histogram record is the whole cost on a hot path; gauges and counters kept
 * as plain numbers by their owner are read through observable instruments at scrape time.
 */
export function relayMeter(): Meter {
  return registryOf().meter;
}

/**
 * An HTTP route for the services' existing servers: answers `GET /metrics` in the Prometheus
 * text format and returns true; returns false (and does nothing) for any other request.
 */
export function serveMetrics(req: IncomingMessage, res: ServerResponse): boolean {
  if ((req.url ?? '/').split('?', 1)[0] !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return true;
  }
  registryOf().exporter.getMetricsRequestHandler(req, res);
  return true;
}

/** The current metrics in the Prometheus text format, as /metrics answers them (for tests). */
export async function metricsText(): Promise<string> {
  const collected = await registryOf().exporter.collect();
  return new PrometheusSerializer('', false, undefined, true, true).serialize(collected.resourceMetrics);
}
