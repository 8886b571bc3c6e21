import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaugeSum, metricsUrlOf, settledRss } from './relay-memory.js';

const TEXT = `# HELP nrelay_connections Open WebSocket connections
# TYPE nrelay_connections gauge
nrelay_connections 10002
nrelay_connections_accepted 12000
v8js_memory_heap_used_bytes{v8js_heap_space_name="new_space"} 1000
v8js_memory_heap_used_bytes{v8js_heap_space_name="old_space"} 2500 1700000000000
`;

test('a gauge is summed over its label sets; longer names that share its prefix are not counted', () => {
  assert.equal(gaugeSum(TEXT, 'nrelay_connections'), 10002);
  assert.equal(gaugeSum(TEXT, 'v8js_memory_heap_used_bytes'), 3500);
  assert.equal(gaugeSum(TEXT, 'nodejs_heap_size_used_bytes'), undefined);
});

test('the metrics URL is the relay URL over HTTP', () => {
  assert.equal(metricsUrlOf('ws://127.0.0.1:7778'), 'http://127.0.0.1:7778/metrics');
  assert.equal(metricsUrlOf('wss://localhost:443/relay?x=1'), 'https://localhost/metrics');
});

const fast = { minMs: 0, maxMs: 200, intervalMs: 1, tolerance: 0.01, stableReadings: 3 };

test('RSS is read once three readings in a row agree within the tolerance', async () => {
  const readings = [100, 150, 200, 201, 200, 900];
  let i = 0;
  const r = await settledRss([1], fast, () => readings[i++] as number);
  assert.deepEqual([r.bytes, r.settled, i], [200, true, 5]);
});

test('RSS is summed over the pids, and a reading that keeps moving gives up after maxMs', async () => {
  const sum = await settledRss([1, 2], fast, (pid) => pid * 100);
  assert.deepEqual([sum.bytes, sum.settled], [300, true]);
  let n = 0;
  const drifting = await settledRss([1], fast, () => 1000 * 1.1 ** n++);
  assert.equal(drifting.settled, false);
  assert.ok(drifting.waitedMs >= 200);
});
