import {
  type Context,
  context,
  type Link,
  type ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The instrumentation scope of every span the relay creates itself. */
export const TRACER_NAME = 'nrelay';

/** W3C trace context carrier (traceparent/tracestate), as carried in jobs and bus messages. */
export type TraceCarrier = Record<string, string>;

/**
 * The relay's tracer when a tracer provider is registered (the register module started the
 * SDK, or a test installed one), else undefined. Decorators ask once, when they are built, and
 * skip every tracing step when it is undefined: tracing that is off costs one check.
 */
export function relayTracer(): Tracer | undefined {
  return (trace.getTracerProvider() as ProxyTracerProvider).getDelegateTracer?.(TRACER_NAME);
}

/** The trace context of `ctx` (default: the active one) as a carrier; empty when there is none. */
export function injectTrace(ctx: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier describes (a remote parent), or the root context when it has none. */
export function extractTrace(carrier: TraceCarrier | undefined): Context {
  return carrier === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier);
}

/** A span link to the span a carrier names, or undefined when it names none. */
export function linkFromTrace(carrier: TraceCarrier | undefined): Link | undefined {
  if (carrier === undefined) return undefined;
  const spanContext = trace.getSpanContext(extractTrace(carrier));
  return spanContext === undefined ? undefined : { context: spanContext };
}

/** Ends a span as failed, recording the error's type and message (never its data). */
export function endWithError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
  span.end();
}
