/**
 * When tracing is on. It is off unless the standard OpenTelemetry variables ask for it, so a
 * relay started without them loads no SDK at all.
 */

/** Environment variables that decide whether tracing starts. */
export type TracingEnv = Record<string, string | undefined>;

/** Trace exporters the SDK understands through OTEL_TRACES_EXPORTER. */
const EXPORTERS = new Set(['otlp', 'console', 'zipkin', 'jaeger']);

/**
 * True when traces should be exported: OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-only
 * variant) is set, or OTEL_TRACES_EXPORTER names an exporter other than `none`; and
 * OTEL_SDK_DISABLED is not `true`.
 */
export function tracingRequested(env: TracingEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (exporters.includes('none')) return false;
  if (exporters.some((e) => EXPORTERS.has(e))) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
