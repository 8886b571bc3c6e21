import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { createQueryHttpServer } from '@nrelay/seams/query';
import { context, injectTrace, metricsText, serveMetrics, trace } from '@nrelay/telemetry';
import { installMemoryTracing } from '@nrelay/telemetry/testing';
import { pino } from 'pino';
import { observeQueryEngine } from './telemetry.js';

const request: QueryRequest = {
  v: 1,
  filters: [{ kinds: [1] }, { kinds: [7] }],
  viewer: { authedPubkeys: [] },
};

function engine(rows: string[], failure?: Error): QueryClient {
  return {
    async *query() {
      if (rows.length > 0) yield rows;
      if (failure) throw failure;
    },
    async count() {
      if (failure) throw failure;
      return rows.length;
    },
    items: async () => new Uint8Array(0),
    async close() {},
  };
}

async function drain(stream: AsyncIterable<readonly string[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of stream) out.push(...batch);
  return out;
}

function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

test('queries are timed by outcome, their events counted, SQL failures counted by SQLSTATE', async () => {
  const before = await metricsText();
  const signal = new AbortController().signal;
  assert.deepEqual(await drain(observeQueryEngine(engine(['a', 'b']), undefined).query(request, signal)), [
    'a',
    'b',
  ]);
  const broken = observeQueryEngine(
    engine([], Object.assign(new Error('canceled'), { code: '57014' })),
    undefined,
  );
  await assert.rejects(drain(broken.query(request, signal)));
  await assert.rejects(broken.count(request, signal));
  const after = await metricsText();
  const moved = (s: string) => sample(after, s) - sample(before, s);
  assert.equal(moved('nrelay_query_duration_seconds_count{op="query",outcome="ok"}'), 1);
  assert.equal(moved('nrelay_query_duration_seconds_count{op="query",outcome="error"}'), 1);
  assert.equal(moved('nrelay_query_duration_seconds_count{op="count",outcome="error"}'), 1);
  assert.equal(moved('nrelay_query_events_total'), 2);
  assert.equal(moved('nrelay_sql_errors_total{op="query",sqlstate="57014"}'), 1);
  assert.equal(moved('nrelay_sql_errors_total{op="count",sqlstate="57014"}'), 1);
});

test('the query service serves /metrics through its routes option', async () => {
  const server = createQueryHttpServer({
    engine: engine([]),
    logger: pino({ level: 'silent' }),
    maxBodyBytes: 1024,
    routes: [serveMetrics],
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /nrelay_query_duration_seconds/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a query span continues the carried trace and records filter and result counts', async () => {
  const tracing = installMemoryTracing();
  try {
    const tracer = trace.getTracer('nrelay');
    const gateway = tracer.startSpan('REQ stored');
    const traced = { ...request, trace: injectTrace(trace.setSpan(context.active(), gateway)) };
    const rows = await drain(
      observeQueryEngine(engine(['x']), tracer).query(traced, new AbortController().signal),
    );
    gateway.end();
    assert.deepEqual(rows, ['x']);
    const span = tracing.spans().find((s) => s.name === 'query');
    assert.ok(span);
    assert.equal(span.parentSpanContext?.spanId, gateway.spanContext().spanId);
    assert.equal(span.attributes['nostr.filter.count'], 2);
    assert.equal(span.attributes['nostr.result.count'], 1);
    assert.equal(span.attributes['nostr.outcome'], 'ok');
  } finally {
    await tracing.stop();
  }
});
