/**
 * @nrelay/telemetry: OpenTelemetry for every relay process. Traces start from the `./register`
 * module (off unless the OTEL_* variables ask for them); metrics are always on and served as
 * /metrics in the Prometheus format; pino log lines carry the active trace ids.
 */

// The OpenTelemetry API surface the services use, so they depend on this package only.
export {
  type Attributes,
  type BatchObservableResult,
  type Context,
  type Counter,
  context,
  type Histogram,
  type Link,
  type Meter,
  type Observable,
  type ObservableResult,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
export { ATTR } from './attributes.js';
export { type TracingEnv, tracingRequested } from './config.js';
export { flushTelemetry } from './lifecycle.js';
export { traceLogFields, traceLogMixin } from './log.js';
export {
  BATCH_BUCKETS,
  LATENCY_BUCKETS_SECONDS,
  metricsText,
  relayMeter,
  serveMetrics,
} from './metrics.js';
export { REASON_LABELS, REASON_PREFIXES, type ReasonLabel, reasonLabel } from './reason.js';
export { countSqlError, sqlStateLabel } from './sql.js';
export {
  endWithError,
  extractTrace,
  injectTrace,
  linkFromTrace,
  relayTracer,
  TRACER_NAME,
  type TraceCarrier,
} from './tracing.js';
