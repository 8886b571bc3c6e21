import type { Config } from '@nrelay/config';
import { relayTracer, serveMetrics } from '@nrelay/telemetry';
import { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
import { exportGatewayStats } from './metrics.js';
import { observeFanoutBus, observeQueryClient, timeIngestClient, traceIngestClient } from './telemetry.js';

/**
 * Adds the gateway's telemetry to its dependencies: `/metrics` on the relay port (before any
 * other route), the fanout delay, REQ time-to-EOSE and EVENT time-to-OK histograms, and, when
 * tracing is on, spans around the ingest and query seams.
 */
export function withGatewayTelemetry(deps: GatewayDeps): GatewayDeps {
  const tracer = relayTracer();
  return {
    ...deps,
    ingest: timeIngestClient(tracer === undefined ? deps.ingest : traceIngestClient(deps.ingest, tracer)),
    query: observeQueryClient(deps.query, tracer),
    fanout: observeFanoutBus(deps.fanout, tracer, deps.gatewayId),
    httpRoutes: [serveMetrics, ...(deps.httpRoutes ?? [])],
  };
}

/**
 * `createGateway` with telemetry: the seams wrapped by {@link withGatewayTelemetry} and the
 * gateway's counters exported on /metrics until it is closed. What composition roots call.
 */
export function createObservedGateway(config: Config, deps: GatewayDeps): Gateway {
  const gateway = createGateway(config, withGatewayTelemetry(deps));
  const stopExport = exportGatewayStats(() => gateway.stats());
  const close = gateway.close.bind(gateway);
  gateway.close = (graceMs) => {
    stopExport();
    return close(graceMs);
  };
  return gateway;
}
