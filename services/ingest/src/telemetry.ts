import type { RawEvent, SignatureVerifier } from '@nrelay/protocol';
import type { FanoutBus } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';
import {
  ATTR,
  type Attributes,
  BATCH_BUCKETS,
  type Counter,
  context,
  countSqlError,
  endWithError,
  extractTrace,
  type Histogram,
  injectTrace,
  LATENCY_BUCKETS_SECONDS,
  REASON_LABELS,
  type ReasonLabel,
  reasonLabel,
  relayMeter,
  SpanKind,
  type Tracer,
  trace,
} from '@nrelay/telemetry';
import type { EventWriter } from './stages/store.js';
import type { IngestPipeline } from './types.js';

interface IngestInstruments {
  events: Counter;
  storeWrite: Histogram;
  batchSize: Histogram;
  publishFailures: Counter;
}

let instruments: IngestInstruments | undefined;

function ingestInstruments(): IngestInstruments {
  if (instruments === undefined) {
    const meter = relayMeter();
    instruments = {
      events: meter.createCounter('nrelay_ingest_events', {
        description: 'Events through the ingest pipeline, by result (accepted/rejected) and reason prefix',
      }),
      storeWrite: meter.createHistogram('nrelay_store_write_seconds', {
        description: 'Duration of one store transaction (a batch of events)',
        unit: 's',
        advice: { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS },
      }),
      batchSize: meter.createHistogram('nrelay_store_batch_size', {
        description: 'Events per store transaction',
        advice: { explicitBucketBoundaries: BATCH_BUCKETS },
      }),
      publishFailures: meter.createCounter('nrelay_fanout_publish_failures', {
        description: 'Accepted events whose fanout publish failed (stored, not delivered live)',
      }),
    };
  }
  return instruments;
}

const resultAttrs = (result: string) =>
  new Map<ReasonLabel, Attributes>(REASON_LABELS.map((reason) => [reason, { result, reason }]));
const ACCEPTED = resultAttrs('accepted');
const REJECTED = resultAttrs('rejected');

/** The signature check as a span (when tracing); the verifier itself when not. */
export function traceVerifier(verifier: SignatureVerifier, tracer: Tracer | undefined): SignatureVerifier {
  if (tracer === undefined) return verifier;
  return {
    name: verifier.name,
    verify(event) {
      const span = tracer.startSpan('verify signature', { attributes: { [ATTR.eventId]: event.id } });
      try {
        return verifier.verify(event);
      } finally {
        span.end();
      }
    },
  };
}

/**
 * Times each store transaction and records its batch size; failed ones are counted as SQL
 * errors by SQLSTATE. When tracing, the transaction is a span (its SQL spans are children).
 */
export function observeWriter(writer: EventWriter, tracer: Tracer | undefined): EventWriter {
  const { storeWrite, batchSize } = ingestInstruments();
  return {
    async save(events: RawEvent[]): Promise<SaveOutcome[]> {
      const span = tracer?.startSpan('store batch', { attributes: { [ATTR.batchSize]: events.length } });
      const started = performance.now();
      try {
        const outcomes = span
          ? await context.with(trace.setSpan(context.active(), span), () => writer.save(events))
          : await writer.save(events);
        span?.end();
        return outcomes;
      } catch (err) {
        countSqlError('write', err);
        if (span) endWithError(span, err);
        throw err;
      } finally {
        storeWrite.record((performance.now() - started) / 1000);
        batchSize.record(events.length);
      }
    },
  };
}

/**
 * One event's store step (waiting for its batch, then the commit) as a span with the outcome
 * status; the plain write when tracing is off.
 */
export function traceStoreWrite<T extends SaveOutcome>(
  write: (event: RawEvent) => Promise<T>,
  tracer: Tracer | undefined,
): (event: RawEvent) => Promise<T> {
  if (tracer === undefined) return write;
  return async (event) => {
    const span = tracer.startSpan('store', { attributes: { [ATTR.eventId]: event.event.id } });
    try {
      const outcome = await context.with(trace.setSpan(context.active(), span), () => write(event));
      span.setAttribute(ATTR.outcome, outcome.status);
      span.end();
      return outcome;
    } catch (err) {
      endWithError(span, err);
      throw err;
    }
  };
}

/**
 * Counts failed publishes and, when tracing, publishes inside a producer span whose context
 * replaces the message's trace carrier: each gateway's delivery span links to it.
 */
export function observePublisher(fanout: FanoutBus, tracer: Tracer | undefined): FanoutBus {
  const { publishFailures } = ingestInstruments();
  return {
    async publish(message, signal) {
      const span = tracer?.startSpan('publish', {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.eventId]: message.event.id,
          [ATTR.eventKind]: message.event.kind,
          [ATTR.messagingOperation]: 'publish',
        },
      });
      try {
        if (span === undefined) await fanout.publish(message, signal);
        else {
          const ctx = trace.setSpan(context.active(), span);
          await context.with(ctx, () => fanout.publish({ ...message, trace: injectTrace(ctx) }, signal));
          span.end();
        }
      } catch (err) {
        publishFailures.add(1);
        if (span) endWithError(span, err);
        throw err;
      }
    },
    subscribe: (handler) => fanout.subscribe(handler),
    watchContinuity: (listener) => fanout.watchContinuity(listener),
    fence: () => fanout.fence(),
    close: () => fanout.close(),
  };
}

/**
 * Counts every event's result by reason prefix and, when tracing, runs it inside the `ingest`
 * consumer span: a child of the active span (standalone's direct call) or of the context the
 * request carries (the gateway's, through the BullMQ job).
 */
export function observePipeline(pipeline: IngestPipeline, tracer: Tracer | undefined): IngestPipeline {
  const { events } = ingestInstruments();
  const count = (ok: boolean, reason: string) =>
    events.add(1, (ok ? ACCEPTED : REJECTED).get(reasonLabel(reason)));
  if (tracer === undefined) {
    return {
      async process(request) {
        const result = await pipeline.process(request);
        count(result.ok, result.reason);
        return result;
      },
      close: () => pipeline.close(),
    };
  }
  return {
    async process(request: IngestRequest) {
      const active = context.active();
      const parent = trace.getSpan(active) === undefined ? extractTrace(request.trace) : active;
      const { event } = request.event;
      const span = tracer.startSpan(
        'ingest',
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            [ATTR.eventId]: event.id,
            [ATTR.eventKind]: event.kind,
            [ATTR.gatewayId]: request.gatewayId,
            [ATTR.connectionId]: request.connectionId,
            [ATTR.messagingOperation]: 'process',
          },
        },
        parent,
      );
      try {
        const result = await context.with(trace.setSpan(parent, span), () => pipeline.process(request));
        count(result.ok, result.reason);
        span.setAttributes({ [ATTR.accepted]: result.ok, [ATTR.outcome]: reasonLabel(result.reason) });
        span.end();
        return result;
      } catch (err) {
        endWithError(span, err);
        throw err;
      }
    },
    close: () => pipeline.close(),
  };
}
