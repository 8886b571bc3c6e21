import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { createHttpQueryClient, createQueryHttpServer, QueryServiceError } from '@nrelay/seams/query';
import { pino } from 'pino';

// Issue 10, defect 7: the query service answered any `viewer` it was sent, so anything that
// reached its port read every DM. With QUERY_SECRET only a caller holding it is answered.
const SECRET = 'a-shared-secret-of-this-cluster';
const dm = '{"id":"dm","kind":4}';
const request: QueryRequest = {
  v: 1,
  filters: [{ kinds: [4] }],
  viewer: { authedPubkeys: ['f'.repeat(64)] },
};

test('QUERY_SECRET: /query and /count answer 401 without it; the gateway client sends it', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const engine: QueryClient = {
    async *query() {
      yield [dm];
    },
    count: async () => 1,
    items: async () => new Uint8Array(0),
    async close() {},
  };
  const server = createQueryHttpServer({ engine, logger, maxBodyBytes: 4096, secret: SECRET });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const body = JSON.stringify(request);
  try {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${SECRET}x`, SECRET]) {
      for (const path of ['/query', '/count']) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (authorization !== undefined) headers.authorization = authorization;
        const res = await fetch(base + path, { method: 'POST', body, headers });
        const text = await res.text();
        assert.equal(res.status, 401, `${path} with ${authorization}`);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
        assert.ok(!text.includes('dm'), text);
      }
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'health needs no secret');

    const withSecret = createHttpQueryClient({
      baseUrl: base,
      logger,
      maxSockets: 2,
      requestTimeoutMs: 2000,
      secret: SECRET,
    });
    const batches: string[] = [];
    for await (const batch of withSecret.query(request, AbortSignal.timeout(5000))) batches.push(...batch);
    assert.deepEqual(batches, [dm]);
    assert.equal(await withSecret.count(request, AbortSignal.timeout(5000)), 1);
    await withSecret.close();

    const without = createHttpQueryClient({ baseUrl: base, logger, maxSockets: 2, requestTimeoutMs: 2000 });
    await assert.rejects(without.count(request, AbortSignal.timeout(5000)), QueryServiceError);
    await without.close();
    assert.ok(!lines.some((line) => line.includes(SECRET)), 'the secret is never logged');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
