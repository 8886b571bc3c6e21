import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tracingRequested } from './config.js';

test('tracing is off unless an OTLP endpoint or a trace exporter is configured', () => {
  assert.equal(tracingRequested({}), false);
  assert.equal(tracingRequested({ OTEL_SERVICE_NAME: 'nrelay-gateway' }), false);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), true);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' }), true);
  assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), false);
});

test('none and OTEL_SDK_DISABLED win over an endpoint', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  assert.equal(tracingRequested({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }), false);
  assert.equal(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: 'false' }), true);
});
