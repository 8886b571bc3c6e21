import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { createQueryHttpServer, QueryServiceError } from '@nrelay/seams/query';
import { aborted, deferred, logger, raw, request, start } from './http-fixtures.js';

// The query service's HTTP server and the gateway's HTTP QueryClient, over 127.0.0.1, with a
// scripted engine standing in for SQL (the engine itself is tested in engine.test.ts): how rows
// stream, abort and wait for a slow reader. Counts, health and refusals: http-endpoints.test.ts.

test('rows stream as they arrive: the first line is read before the engine finishes', async () => {
  const gate = deferred();
  let finished = false;
  const s = await start(async function* () {
    yield ['{"id":"1"}'];
    await gate.promise;
    yield ['{"id":"2"}'];
    finished = true;
  });
  try {
    const it = s.client.query(request, new AbortController().signal)[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { done: false, value: ['{"id":"1"}'] });
    assert.equal(finished, false);
    gate.resolve();
    assert.deepEqual(await it.next(), { done: false, value: ['{"id":"2"}'] });
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    assert.equal(finished, true);
  } finally {
    await s.close();
  }
});

test('the engine receives the request and its text is sent as is, one line per event', async () => {
  let seen: QueryRequest | undefined;
  const pretty = JSON.stringify({ id: 'p', content: 'two\nlines' }, null, 2);
  const s = await start(async function* (req) {
    seen = req;
    yield [pretty, '{"id":"q"}'];
  });
  try {
    const batches: Array<readonly string[]> = [];
    for await (const batch of s.client.query(request, new AbortController().signal)) batches.push(batch);
    assert.deepEqual(seen, request);
    // One batch of the engine is one write, read back as one batch.
    assert.equal(batches.length, 1);
    const lines = batches.flat();
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0] ?? ''), JSON.parse(pretty));
    assert.equal(lines[1], '{"id":"q"}');
  } finally {
    await s.close();
  }
});

test('aborting the signal, or stopping the iteration, aborts the engine signal', async () => {
  const signals: AbortSignal[] = [];
  const s = await start(async function* (_req, signal) {
    signals.push(signal);
    yield ['{"id":"1"}'];
    await aborted(signal);
  });
  try {
    const controller = new AbortController();
    const it = s.client.query(request, controller.signal)[Symbol.asyncIterator]();
    await it.next();
    controller.abort(new Error('CLOSE'));
    await assert.rejects(it.next(), /CLOSE/);
    await aborted(signals[0] as AbortSignal);

    for await (const _ of s.client.query(request, new AbortController().signal)) break;
    await aborted(signals[1] as AbortSignal);
  } finally {
    await s.close();
  }
});

test('an engine failure part way ends the stream with an error line: the client throws after the rows', async () => {
  const s = await start(async function* () {
    yield ['{"id":"1"}'];
    throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
  });
  try {
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of s.client.query(request, new AbortController().signal)) got.push(...batch);
      })(),
      (err) => err instanceof QueryServiceError && err.code === 'failed',
    );
    assert.deepEqual(got, ['{"id":"1"}']);
  } finally {
    await s.close();
  }
});

test('headers, a batch above the high-water mark and the end line leave in one write', async () => {
  const big = JSON.stringify({ id: 'b', content: 'z'.repeat(100_000) });
  const engine: QueryClient = {
    async *query() {
      await new Promise((r) => setImmediate(r));
      yield [big, '{"id":"c"}'];
    },
    count: async () => 0,
    items: async () => new Uint8Array(0),
    async close() {},
  };
  const server = createQueryHttpServer({ engine, logger, maxBodyBytes: 4_096 });
  let writes = 0;
  server.on('connection', (socket) => {
    const s = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const method of ['_write', '_writev'] as const) {
      const original = s[method].bind(socket);
      s[method] = (...args: unknown[]) => {
        writes++;
        return original(...args);
      };
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const answer = await raw(port, 'POST', '/query', JSON.stringify(request));
    assert.equal(answer.status, 200);
    assert.ok(answer.body.endsWith('{"eose":true}\n'));
    assert.equal(writes, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('slow readers pause the engine (backpressure), then get every row', async () => {
  const total = 200;
  const row = JSON.stringify({ id: 'x', content: 'y'.repeat(64 * 1024) });
  let produced = 0;
  const s = await start(async function* () {
    for (let i = 0; i < total; i++) {
      produced++;
      yield [row];
    }
  });
  try {
    const it = s.client.query(request, new AbortController().signal)[Symbol.asyncIterator]();
    let n = ((await it.next()).value ?? []).length;
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(produced < total, `engine ran ahead of the reader: ${produced} of ${total}`);
    for (let step = await it.next(); !step.done; step = await it.next()) n += step.value.length;
    assert.equal(n, total);
  } finally {
    await s.close();
  }
});
