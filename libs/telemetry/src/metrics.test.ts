import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { metricsText, relayMeter, serveMetrics } from './metrics.js';
import { countSqlError, sqlStateLabel } from './sql.js';

test('/metrics serves the Prometheus text of the process meter; other paths fall through', async () => {
  relayMeter().createCounter('nrelay_test_things', { description: 'things' }).add(3, { kind: 'a' });
  const server = createServer((req, res) => {
    if (!serveMetrics(req, res)) res.writeHead(404).end('fallthrough');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const page = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/plain/);
    const text = await page.text();
    assert.match(text, /# HELP nrelay_test_things_total things/);
    assert.match(text, /nrelay_test_things_total\{kind="a"\} 3/);
    assert.doesNotMatch(text, /target_info|otel_scope/);
    const other = await fetch(`http://127.0.0.1:${port}/elsewhere`);
    assert.equal(await other.text(), 'fallthrough');
    const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
  } finally {
    server.close();
  }
});

test('SQL errors are counted by operation and SQLSTATE, never by message', async () => {
  assert.equal(sqlStateLabel(Object.assign(new Error('x'), { code: '57P01' })), '57P01');
  assert.equal(sqlStateLabel(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'none');
  assert.equal(sqlStateLabel('boom'), 'none');
  countSqlError('write', Object.assign(new Error('admin shutdown'), { code: '57P01' }));
  countSqlError('write', Object.assign(new Error('admin shutdown'), { code: '57P01' }));
  countSqlError('query', new Error('connect ECONNREFUSED'));
  const text = await metricsText();
  assert.match(text, /nrelay_sql_errors_total\{op="write",sqlstate="57P01"\} 2/);
  assert.match(text, /nrelay_sql_errors_total\{op="query",sqlstate="none"\} 1/);
});
