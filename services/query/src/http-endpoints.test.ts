import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHttpQueryClient, InvalidQueryError, QueryServiceError } from '@nrelay/seams/query';
import { logger, raw, request, start } from './http-fixtures.js';

// The query service's HTTP endpoints besides the row stream (http.test.ts), through the
// gateway's HTTP QueryClient and plain HTTP: count, health, readiness, refused requests and
// failures.

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
