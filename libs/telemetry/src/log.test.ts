import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { traceLogFields, traceLogMixin } from './log.js';
import { installMemoryTracing } from './testing.js';
import { relayTracer } from './tracing.js';

test('no mixin while tracing is off; trace ids of the active span while it is on', async () => {
  assert.equal(relayTracer(), undefined);
  assert.equal(traceLogMixin(), undefined);
  assert.deepEqual(traceLogFields(), {});

  const tracing = installMemoryTracing();
  try {
    const mixin = traceLogMixin();
    assert.ok(mixin);
    assert.deepEqual(mixin(), {});
    const span = relayTracer()!.startSpan('work');
    const fields = trace.getTracer('t').startActiveSpan('active', (active) => {
      const out = mixin();
      active.end();
      return { out, ids: active.spanContext() };
    });
    span.end();
    assert.deepEqual(fields.out, { trace_id: fields.ids.traceId, span_id: fields.ids.spanId });
  } finally {
    await tracing.stop();
  }
  assert.equal(relayTracer(), undefined);
});
