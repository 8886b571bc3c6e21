import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawEvent } from '@nrelay/protocol';
import { createMemoryFanoutBus, type FanoutMessage } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';
import { context, injectTrace, metricsText, trace } from '@nrelay/telemetry';
import { installMemoryTracing } from '@nrelay/telemetry/testing';
import { signedRaw } from '@nrelay/testkit';
import { generateSecretKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { createIngestPipeline } from './pipeline.js';

const sk = generateSecretKey();

function raw(content: string, kind = 1): RawEvent {
  return signedRaw({ kind, content }, sk);
}

function request(event: RawEvent, trace?: Record<string, string>): IngestRequest {
  const r: IngestRequest = {
    v: 1,
    event,
    receivedAt: Date.now(),
    gatewayId: 'g',
    connectionId: 'c',
    authedPubkeys: [],
  };
  if (trace) r.trace = trace;
  return r;
}

function setup(outcome: () => SaveOutcome | Error = () => ({ status: 'stored' })) {
  const fanout = createMemoryFanoutBus();
  const published: FanoutMessage[] = [];
  fanout.subscribe((m) => published.push(m));
  const pipeline = createIngestPipeline({
    store: {
      async save(events) {
        await new Promise((r) => setImmediate(r));
        return events.map(() => {
          const o = outcome();
          if (o instanceof Error) throw o;
          return o;
        });
      },
    },
    fanout,
    logger: pino({ level: 'silent' }),
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
  });
  return { pipeline, published };
}

function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

test('results, store batches and SQL errors are counted without tracing', async () => {
  const before = await metricsText();
  const { pipeline, published } = setup();
  await pipeline.process(request(raw('a')));
  const bad = raw('b');
  await pipeline.process(request({ ...bad, event: { ...bad.event, sig: '0'.repeat(128) } }));
  assert.equal(published[0]?.trace, undefined);
  const failing = setup(() => Object.assign(new Error('terminating connection'), { code: '57P01' }));
  await failing.pipeline.process(request(raw('c')));
  const after = await metricsText();
  const moved = (s: string) => sample(after, s) - sample(before, s);
  assert.equal(moved('nrelay_ingest_events_total{result="accepted",reason="none"}'), 1);
  assert.equal(moved('nrelay_ingest_events_total{result="rejected",reason="invalid"}'), 1);
  assert.equal(moved('nrelay_ingest_events_total{result="rejected",reason="error"}'), 1);
  assert.equal(moved('nrelay_store_write_seconds_count'), 2);
  assert.equal(moved('nrelay_store_batch_size_sum'), 2);
  assert.equal(moved('nrelay_sql_errors_total{op="write",sqlstate="57P01"}'), 1);
});

test('an event runs in one ingest span under the carried context; publish carries its own', async () => {
  const tracing = installMemoryTracing();
  try {
    const { pipeline, published } = setup();
    const gatewaySpan = trace.getTracer('test').startSpan('ingest submit');
    const carrier = injectTrace(trace.setSpan(context.active(), gatewaySpan));
    const e = raw('traced words');
    assert.deepEqual(await pipeline.process(request(e, carrier)), { ok: true, reason: '' });
    gatewaySpan.end();
    await new Promise((r) => setTimeout(r, 10));
    const spans = tracing.spans();
    const byName = (name: string) => spans.find((s) => s.name === name);
    const ingest = byName('ingest');
    assert.ok(ingest);
    assert.equal(ingest.spanContext().traceId, gatewaySpan.spanContext().traceId);
    assert.equal(ingest.parentSpanContext?.spanId, gatewaySpan.spanContext().spanId);
    assert.equal(ingest.attributes['nostr.event.id'], e.event.id);
    assert.equal(ingest.attributes['nostr.outcome'], 'none');
    for (const name of ['verify signature', 'store', 'publish']) {
      const child = byName(name);
      assert.ok(child, name);
      assert.equal(
        child.parentSpanContext?.spanId,
        ingest.spanContext().spanId,
        `${name} is a child of ingest`,
      );
    }
    assert.equal(byName('store')?.attributes['nostr.outcome'], 'stored');
    const batch = byName('store batch');
    assert.equal(batch?.attributes['nrelay.store.batch_size'], 1);
    assert.equal(batch?.spanContext().traceId, gatewaySpan.spanContext().traceId);
    const publish = byName('publish')!;
    assert.match(published[0]?.trace?.traceparent ?? '', new RegExp(`-${publish.spanContext().spanId}-`));
    for (const s of spans) {
      for (const v of Object.values(s.attributes)) assert.ok(v !== e.event.content && v !== e.event.sig);
    }
  } finally {
    await tracing.stop();
  }
});
