import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { createHttpQueryClient } from './http-client.js';
import { createQueryHttpServer } from './http-server.js';
import type { ItemsRequest, QueryClient, QueryRequest } from './seam.js';

// The read-your-writes bound over HTTP (ADR 0024): `minLsn` leaves the body for the
// x-nrelay-min-lsn header and comes back as `minLsn` on the server; an unbounded request is
// answered with the primary's position, handed to `onPrimaryLsn` with the request it answers.

const logger = pino({ level: 'silent' });

async function serve(primaryLsn?: () => Promise<string | undefined>) {
  const seen: Array<QueryRequest | ItemsRequest> = [];
  const engine: QueryClient = {
    async *query(request) {
      seen.push(request);
      yield ['{"id":"x"}'];
    },
    count: async (request) => {
      seen.push(request);
      return 1;
    },
    countHll: async (request) => {
      seen.push(request);
      return { count: 1, hll: '0'.repeat(512) };
    },
    items: async (request) => {
      seen.push(request);
      return new Uint8Array();
    },
    close: async () => {},
  };
  const server = createQueryHttpServer({
    engine,
    logger,
    maxBodyBytes: 1 << 16,
    ...(primaryLsn ? { primaryLsn } : {}),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const answered: Array<[string, object]> = [];
  const client = createHttpQueryClient({
    baseUrl: `http://127.0.0.1:${port}`,
    logger,
    maxSockets: 2,
    requestTimeoutMs: 2000,
    onPrimaryLsn: (lsn, request) => answered.push([lsn, request]),
  });
  return {
    seen,
    answered,
    client,
    port,
    async close() {
      await client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const request: QueryRequest = { v: 1, filters: [{ kinds: [1] }], viewer: { authedPubkeys: [] } };
const signal = new AbortController().signal;

test('the bound travels as a header to every endpoint and reaches the engine as minLsn', async () => {
  const s = await serve(async () => '0/AA');
  try {
    const bounded = { ...request, minLsn: '1/2F' };
    for await (const _ of s.client.query(bounded, signal));
    await s.client.count(bounded, signal);
    await s.client.countHll?.({ ...bounded, hllOffset: 3 }, signal);
    await s.client.items(
      { v: 1, filter: { kinds: [1] }, viewer: request.viewer, limit: 5, minLsn: '1/2F' },
      signal,
    );
    assert.deepEqual(
      s.seen.map((r) => r.minLsn),
      ['1/2F', '1/2F', '1/2F', '1/2F'],
    );
    assert.deepEqual(s.answered, [], 'a bounded request gets no primary position');
    // Unbounded: the engine sees none, the client learns the primary's, with its request.
    await s.client.count(request, signal);
    assert.equal(s.seen.at(-1)?.minLsn, undefined);
    assert.deepEqual(s.answered, [['0/AA', request]]);
  } finally {
    await s.close();
  }
});

test('a bound that is not a WAL position is refused 400; without primaryLsn no position is sent', async () => {
  const s = await serve();
  try {
    const res = await fetch(`http://127.0.0.1:${s.port}/count`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nrelay-min-lsn': 'soon' },
      body: JSON.stringify(request),
    });
    assert.equal(res.status, 400);
    await s.client.count(request, signal);
    assert.deepEqual(s.answered, []);
  } finally {
    await s.close();
  }
});
