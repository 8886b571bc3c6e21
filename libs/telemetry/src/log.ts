import { trace } from '@opentelemetry/api';
import { relayTracer } from './tracing.js';

/**
 * `trace_id` and `span_id` of the active span, for a pino `mixin`; an empty object when no span
 * is active (a fresh one: pino merges the line's fields into what the mixin returns).
 */
export function traceLogFields(): object {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * The pino `mixin` that adds trace ids to every log line, or undefined when tracing is off
 * (so a relay without tracing does no per-line work at all).
 */
export function traceLogMixin(): (() => object) | undefined {
  return relayTracer() === undefined ? undefined : traceLogFields;
}
