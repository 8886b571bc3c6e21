import type {
  HllCountAnswer,
  HllCountRequest,
  ItemsRequest,
  QueryClient,
  QueryRequest,
} from '@nrelay/seams/query';
import {
  ATTR,
  type Attributes,
  type Context,
  type Counter,
  context,
  countSqlError,
  endWithError,
  extractTrace,
  type Histogram,
  LATENCY_BUCKETS_SECONDS,
  relayMeter,
  type Span,
  type Tracer,
  trace,
} from '@nrelay/telemetry';

interface QueryInstruments {
  duration: Histogram;
  events: Counter;
}

let instruments: QueryInstruments | undefined;

function queryInstruments(): QueryInstruments {
  if (instruments === undefined) {
    const meter = relayMeter();
    instruments = {
      duration: meter.createHistogram('nrelay_query_duration_seconds', {
        description: 'Duration of stored-event queries and counts, by op and outcome (ok/error/aborted)',
        unit: 's',
        advice: { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS },
      }),
      events: meter.createCounter('nrelay_query_events', {
        description: 'Stored events returned by queries',
      }),
    };
  }
  return instruments;
}

type Op = 'query' | 'count' | 'items';
type Outcome = 'ok' | 'error' | 'aborted';
const ATTRS: Record<Op, Record<Outcome, Attributes>> = {
  query: {
    ok: { op: 'query', outcome: 'ok' },
    error: { op: 'query', outcome: 'error' },
    aborted: { op: 'query', outcome: 'aborted' },
  },
  count: {
    ok: { op: 'count', outcome: 'ok' },
    error: { op: 'count', outcome: 'error' },
    aborted: { op: 'count', outcome: 'aborted' },
  },
  items: {
    ok: { op: 'items', outcome: 'ok' },
    error: { op: 'items', outcome: 'error' },
    aborted: { op: 'items', outcome: 'aborted' },
  },
};

/** The parent of an engine span: the active span (the HTTP server's), else the request's carrier. */
function parentOf(request: QueryRequest): Context {
  const active = context.active();
  return trace.getSpan(active) === undefined ? extractTrace(request.trace) : active;
}

/** A span for one query or count (when tracing), and the context that makes it the SQL's parent. */
function startOpSpan(
  tracer: Tracer | undefined,
  name: 'query' | 'count',
  request: QueryRequest,
): { span: Span | undefined; ctx: Context | undefined } {
  if (tracer === undefined) return { span: undefined, ctx: undefined };
  const parent = parentOf(request);
  const span = tracer.startSpan(name, { attributes: { [ATTR.filterCount]: request.filters.length } }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/**
 * Measures the query engine: duration by op and outcome, events returned, failures counted as
 * SQL errors by SQLSTATE. When tracing, each query or count is a span (filter count, result
 * count) whose context is active while the store runs, so the SQL spans are its children.
 */
export function observeQueryEngine(engine: QueryClient, tracer: Tracer | undefined): QueryClient {
  const { duration, events } = queryInstruments();

  async function* query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    const started = performance.now();
    const { span, ctx } = startOpSpan(tracer, 'query', request);
    const stream = engine.query(request, signal)[Symbol.asyncIterator]();
    let results = 0;
    let outcome: Outcome = 'aborted';
    try {
      for (;;) {
        const step = ctx === undefined ? await stream.next() : await context.with(ctx, () => stream.next());
        if (step.done) break;
        results += step.value.length;
        yield step.value;
      }
      if (!signal.aborted) outcome = 'ok';
    } catch (err) {
      if (!signal.aborted) {
        outcome = 'error';
        countSqlError('query', err);
        if (span) {
          span.setAttribute(ATTR.resultCount, results);
          endWithError(span, err);
        }
      }
      throw err;
    } finally {
      if (outcome === 'aborted') await stream.return?.();
      duration.record((performance.now() - started) / 1000, ATTRS.query[outcome]);
      events.add(results);
      if (span && outcome !== 'error') {
        span.setAttributes({ [ATTR.resultCount]: results, [ATTR.outcome]: outcome });
        span.end();
      }
    }
  }

  async function count(request: QueryRequest, signal: AbortSignal): Promise<number> {
    const started = performance.now();
    const { span, ctx } = startOpSpan(tracer, 'count', request);
    try {
      const n =
        ctx === undefined
          ? await engine.count(request, signal)
          : await context.with(ctx, () => engine.count(request, signal));
      duration.record((performance.now() - started) / 1000, ATTRS.count.ok);
      span?.setAttribute(ATTR.resultCount, n);
      span?.end();
      return n;
    } catch (err) {
      const aborted = signal.aborted;
      duration.record((performance.now() - started) / 1000, ATTRS.count[aborted ? 'aborted' : 'error']);
      if (!aborted) countSqlError('count', err);
      if (span) endWithError(span, err);
      throw err;
    }
  }

  /** NIP-77 item sets: measured like counts (no span: a sync session is not a client read). */
  async function items(request: ItemsRequest, signal: AbortSignal): Promise<Uint8Array> {
    const started = performance.now();
    try {
      const packed = await engine.items(request, signal);
      duration.record((performance.now() - started) / 1000, ATTRS.items.ok);
      return packed;
    } catch (err) {
      const aborted = signal.aborted;
      duration.record((performance.now() - started) / 1000, ATTRS.items[aborted ? 'aborted' : 'error']);
      if (!aborted) countSqlError('count', err);
      throw err;
    }
  }

  const inner = engine.countHll?.bind(engine);
  // NIP-45 registers: timed as a count.
  const countHll =
    inner &&
    (async (request: HllCountRequest, signal: AbortSignal): Promise<HllCountAnswer> => {
      const started = performance.now();
      try {
        const answer = await inner(request, signal);
        duration.record((performance.now() - started) / 1000, ATTRS.count.ok);
        return answer;
      } catch (err) {
        const aborted = signal.aborted;
        duration.record((performance.now() - started) / 1000, ATTRS.count[aborted ? 'aborted' : 'error']);
        if (!aborted) countSqlError('count', err);
        throw err;
      }
    });

  return { query, count, items, ...(countHll ? { countHll } : {}), close: () => engine.close() };
}
