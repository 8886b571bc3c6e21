import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import {
  createHttpQueryClient,
  createQueryHttpServer,
  InvalidQueryError,
  QueryServiceError,
} from '@nrelay/seams/query';
import { pino } from 'pino';

// The query service's HTTP server and the gateway's HTTP QueryClient, over 127.0.0.1, with a
// scripted engine standing in for SQL (the engine itself is tested in engine.test.ts).
const request: QueryRequest = { v: 1, filters: [{ kinds: [1], limit: 10 }], viewer: { authedPubkeys: [] } };
const logger = pino({ level: 'silent' });

type Script = (request: QueryRequest, signal: AbortSignal) => AsyncGenerator<readonly string[]>;

async function start(script: Script, extra: { count?: QueryClient['count']; ready?: () => boolean } = {}) {
  const engine: QueryClient = {
    query: script,
    count: extra.count ?? (async () => 42),
    async close() {},
  };
  const server = createQueryHttpServer({ engine, logger, maxBodyBytes: 4_096, ready: extra.ready });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const client = createHttpQueryClient({ baseUrl, logger, maxSockets: 8, requestTimeoutMs: 1_000 });
  return {
    client,
    port,
    async close() {
      await client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const aborted = (signal: AbortSignal) =>
  new Promise<void>((r) =>
    signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true }),
  );

async function raw(port: number, method: string, path: string, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

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

test('count, health, readiness and refused requests', async () => {
  let ready = false;
  const s = await start(
    async function* () {
      yield* [];
    },
    { ready: () => ready },
  );
  try {
    assert.equal(await s.client.count(request, new AbortController().signal), 42);
    assert.equal((await raw(s.port, 'GET', '/healthz')).status, 200);
    assert.equal((await raw(s.port, 'GET', '/readyz')).status, 503);
    ready = true;
    assert.equal((await raw(s.port, 'GET', '/readyz')).status, 200);
    assert.equal((await raw(s.port, 'GET', '/nope')).status, 404);
    assert.equal((await raw(s.port, 'GET', '/query')).status, 405);
    const bad: Array<[string, RegExp]> = [
      ['{', /not valid JSON/],
      ['{"v":2,"filters":[],"viewer":{"authedPubkeys":[]}}', /version/],
      ['{"v":1,"filters":{},"viewer":{"authedPubkeys":[]}}', /"filters" must be an array/],
      ['{"v":1,"filters":[{"kinds":"x"}],"viewer":{"authedPubkeys":[]}}', /bad filter/],
      ['{"v":1,"filters":[]}', /viewer.authedPubkeys/],
    ];
    for (const [body, message] of bad) {
      const answer = await raw(s.port, 'POST', '/query', body);
      assert.equal(answer.status, 400, body);
      assert.match(JSON.parse(answer.body).error, message);
    }
    assert.equal((await raw(s.port, 'POST', '/count', 'x'.repeat(5_000))).status, 413);
  } finally {
    await s.close();
  }
});

test('a count failure is a 500 the client throws on; a stopped server is a quick, clear error', async () => {
  const s = await start(
    async function* () {
      yield* [];
    },
    {
      count: async () => {
        throw new Error('db down');
      },
    },
  );
  await assert.rejects(s.client.count(request, new AbortController().signal), /query service answered 500/);
  const { port } = s;
  await s.close();
  const client = createHttpQueryClient({
    baseUrl: `http://127.0.0.1:${port}`,
    logger,
    maxSockets: 1,
    requestTimeoutMs: 5_000,
  });
  const started = Date.now();
  await assert.rejects(
    (async () => {
      for await (const _ of client.query(request, new AbortController().signal)) {
      }
    })(),
    (err) =>
      err instanceof QueryServiceError && err.code === 'unreachable' && /ECONNREFUSED/.test(err.message),
  );
  assert.ok(Date.now() - started < 1_000);
  await client.close();
});

test('a request refused as invalid (InvalidQueryError) reaches the client as InvalidQueryError, not a failure', async () => {
  const s = await start(
    async function* (req) {
      if (req.filters.length > 1) yield ['{"id":"1"}'];
      throw new InvalidQueryError('search has 17 terms, more than 16');
    },
    {
      count: async () => {
        throw new InvalidQueryError('search longer than 256 characters');
      },
    },
  );
  try {
    const refused = (message: string) => (err: unknown) =>
      err instanceof InvalidQueryError && err.message === message;
    const signal = new AbortController().signal;
    for (const filters of [[{}], [{}, {}]]) {
      const got: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const batch of s.client.query({ ...request, filters }, signal)) got.push(...batch);
        })(),
        refused('search has 17 terms, more than 16'),
      );
      assert.equal(got.length, filters.length - 1);
    }
    await assert.rejects(s.client.count(request, signal), refused('search longer than 256 characters'));
  } finally {
    await s.close();
  }
});
