import type { ClientMessage } from '@nrelay/protocol';
import type { FanoutBus, FanoutMessage } from '@nrelay/seams/fanout';
import type { IngestClient } from '@nrelay/seams/ingest';
import type { HllCountRequest, QueryClient, QueryRequest } from '@nrelay/seams/query';
import {
  ATTR,
  type Attributes,
  context,
  endWithError,
  injectTrace,
  linkFromTrace,
  REASON_LABELS,
  ROOT_CONTEXT,
  reasonLabel,
  SpanKind,
  type Tracer,
  trace,
} from '@nrelay/telemetry';
import type { Connection } from './connection.js';
import { gatewayHistograms } from './metrics.js';

/** Span attributes of a client message: identifiers and counts, never content. */
function messageAttributes(conn: Connection, message: ClientMessage): Attributes {
  const attributes: Attributes = { [ATTR.connectionId]: conn.id };
  switch (message[0]) {
    case 'EVENT':
    case 'AUTH':
      attributes[ATTR.eventId] = message[1].event.id;
      attributes[ATTR.eventKind] = message[1].event.kind;
      break;
    case 'REQ':
    case 'COUNT':
      attributes[ATTR.subscriptionId] = message[1];
      attributes[ATTR.filterCount] = message.length - 2;
      break;
    case 'CLOSE':
    case 'NEG-OPEN':
    case 'NEG-MSG':
    case 'NEG-CLOSE':
      attributes[ATTR.subscriptionId] = message[1];
      break;
  }
  return attributes;
}

/**
 * Runs one parsed client message's handler inside a span named after its verb (the root of
 * the EVENT or REQ trace). The span covers the synchronous hand-off; the work that continues
 * (the ingest submit, the stored query) runs in child spans started from it.
 */
export function traceClientMessage<M extends ClientMessage>(
  tracer: Tracer,
  conn: Connection,
  message: M,
  route: (conn: Connection, message: M) => void,
): void {
  const span = tracer.startSpan(message[0], {
    kind: SpanKind.SERVER,
    attributes: messageAttributes(conn, message),
  });
  try {
    context.with(trace.setSpan(context.active(), span), route, undefined, conn, message);
  } finally {
    span.end();
  }
}

/**
 * The EVENT's trip through ingest as a producer span, from submit to OK, whose context rides
 * in `IngestRequest.trace` (the BullMQ job data, or the direct call in standalone). The span
 * records the outcome (`accepted`, reason prefix).
 */
export function traceIngestClient(inner: IngestClient, tracer: Tracer): IngestClient {
  return {
    async submit(request, signal) {
      const { event } = request.event;
      const span = tracer.startSpan('ingest submit', {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.eventId]: event.id,
          [ATTR.eventKind]: event.kind,
          [ATTR.connectionId]: request.connectionId,
          [ATTR.gatewayId]: request.gatewayId,
          [ATTR.messagingOperation]: 'send',
        },
      });
      const ctx = trace.setSpan(context.active(), span);
      try {
        const result = await context.with(ctx, () =>
          inner.submit({ ...request, trace: injectTrace(ctx) }, signal),
        );
        span.setAttribute(ATTR.accepted, result.ok);
        span.setAttribute(ATTR.outcome, reasonLabel(result.reason));
        span.end();
        return result;
      } catch (err) {
        endWithError(span, err);
        throw err;
      }
    },
    close: () => inner.close(),
  };
}

/**
 * Measures each EVENT's time from arrival (`receivedAt`) to its OK, labelled by the result:
 * `accepted`, or the reason's prefix (`duplicate`, `invalid`, `blocked`, `error`, ...).
 */
export function timeIngestClient(inner: IngestClient): IngestClient {
  const { eventOk } = gatewayHistograms();
  const byLabel = new Map(
    REASON_LABELS.map((label) => [label, { result: label === 'none' ? 'accepted' : label }]),
  );
  return {
    async submit(request, signal) {
      const result = await inner.submit(request, signal);
      const seconds = Math.max(0, Date.now() - request.receivedAt) / 1000;
      eventOk.record(seconds, byLabel.get(reasonLabel(result.reason)));
      return result;
    },
    close: () => inner.close(),
  };
}

/**
 * Measures each REQ's time to EOSE (the stored stream ending normally) and, when tracing, wraps
 * the stored query in a span that counts its results. The query's context is active while the
 * inner stream is pulled, so the HTTP client (and through it the query service and its SQL)
 * joins the REQ's trace; it is also put in `QueryRequest.trace`.
 */
export function observeQueryClient(inner: QueryClient, tracer: Tracer | undefined): QueryClient {
  const { reqEose } = gatewayHistograms();

  async function* timed(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    const started = performance.now();
    yield* inner.query(request, signal);
    if (!signal.aborted) reqEose.record((performance.now() - started) / 1000);
  }

  async function* traced(
    tracer: Tracer,
    request: QueryRequest,
    signal: AbortSignal,
  ): AsyncGenerator<readonly string[]> {
    const started = performance.now();
    const span = tracer.startSpan('REQ stored', {
      attributes: { [ATTR.filterCount]: request.filters.length },
    });
    const ctx = trace.setSpan(context.active(), span);
    const stream = inner.query({ ...request, trace: injectTrace(ctx) }, signal)[Symbol.asyncIterator]();
    let results = 0;
    let outcome = 'aborted';
    try {
      for (;;) {
        const step = await context.with(ctx, () => stream.next());
        if (step.done) break;
        results += step.value.length;
        yield step.value;
      }
      if (!signal.aborted) {
        outcome = 'eose';
        reqEose.record((performance.now() - started) / 1000);
      }
    } catch (err) {
      if (signal.aborted) throw err; // a CLOSE or disconnect, not a failure
      outcome = 'error';
      span.setAttribute(ATTR.resultCount, results);
      endWithError(span, err);
      throw err;
    } finally {
      if (outcome === 'aborted') await stream.return?.();
      if (outcome !== 'error') {
        span.setAttributes({ [ATTR.resultCount]: results, [ATTR.outcome]: outcome });
        span.end();
      }
    }
  }

  return {
    query: tracer === undefined ? timed : (request, signal) => traced(tracer, request, signal),
    count:
      tracer === undefined
        ? (request, signal) => inner.count(request, signal)
        : async (request, signal) => {
            const span = tracer.startSpan('COUNT query', {
              attributes: { [ATTR.filterCount]: request.filters.length },
            });
            const ctx = trace.setSpan(context.active(), span);
            try {
              const n = await context.with(ctx, () =>
                inner.count({ ...request, trace: injectTrace(ctx) }, signal),
              );
              span.setAttribute(ATTR.resultCount, n);
              span.end();
              return n;
            } catch (err) {
              endWithError(span, err);
              throw err;
            }
          },
    items: (request, signal) => inner.items(request, signal),
    ...(inner.countHll === undefined
      ? {}
      : {
          countHll: (request: HllCountRequest, signal: AbortSignal) =>
            (inner.countHll as NonNullable<QueryClient['countHll']>)(request, signal),
        }),
    close: () => inner.close(),
  };
}

/**
 * Measures the fanout delay (accepted → delivered on this gateway) of every event and, when
 * tracing, delivers each inside a consumer span of its own trace that LINKS to the publisher's
 * span carried in `FanoutMessage.trace` (one publish fans out to every gateway, so the
 * deliveries are linked rather than parented).
 */
export function observeFanoutBus(inner: FanoutBus, tracer: Tracer | undefined, gatewayId: string): FanoutBus {
  const { fanoutDelay } = gatewayHistograms();
  return {
    publish: (message, signal) => inner.publish(message, signal),
    subscribe(handler) {
      const deliver =
        tracer === undefined
          ? (message: FanoutMessage) => {
              handler(message);
              fanoutDelay.record(Math.max(0, Date.now() - message.acceptedAt) / 1000);
            }
          : (message: FanoutMessage) => {
              const link = linkFromTrace(message.trace);
              const delayMs = Math.max(0, Date.now() - message.acceptedAt);
              const span = tracer.startSpan(
                'fanout deliver',
                {
                  kind: SpanKind.CONSUMER,
                  root: true,
                  ...(link && { links: [link] }),
                  attributes: {
                    [ATTR.eventId]: message.event.id,
                    [ATTR.eventKind]: message.event.kind,
                    [ATTR.gatewayId]: gatewayId,
                    [ATTR.delayMs]: delayMs,
                    [ATTR.messagingOperation]: 'process',
                  },
                },
                ROOT_CONTEXT,
              );
              try {
                context.with(trace.setSpan(ROOT_CONTEXT, span), handler, undefined, message);
              } finally {
                span.end();
                fanoutDelay.record(Math.max(0, Date.now() - message.acceptedAt) / 1000);
              }
            };
      return inner.subscribe(deliver);
    },
    watchContinuity: (listener) => inner.watchContinuity(listener),
    fence: () => inner.fence(),
    close: () => inner.close(),
  };
}
