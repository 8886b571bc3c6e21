import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedRaw } from '@nrelay/testkit';
import { WebSocket } from 'ws';
import { sleep, startRelay } from './fixtures.js';

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Opens a WebSocket and resolves with the HTTP status and body of the answer to the upgrade. */
function upgradeStatus(port: number): Promise<{ status: number; body: string; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ws }));
    });
    ws.on('open', () => resolve({ status: 101, body: '', ws }));
    ws.on('error', () => undefined);
  });
}

test('async rejectEvent: exactly one OK whether it refuses, passes or fails', async () => {
  const gate = deferred<string | undefined>();
  const relay = await startRelay(
    {},
    {
      hooks: {
        rejectEvent: [
          (event) => {
            if (event.content === 'wait') return gate.promise;
            if (event.content === 'fail') return Promise.reject(new Error('redis exploded'));
            return Promise.resolve(event.content === 'spam' ? 'rate-limited: slow down' : undefined);
          },
        ],
      },
    },
  );
  try {
    const client = await relay.connect();
    const spam = signedRaw({ content: 'spam' });
    const fine = signedRaw({ content: 'fine' });
    const fail = signedRaw({ content: 'fail' });
    const wait = signedRaw({ content: 'wait' });
    for (const e of [spam, fine, fail, wait]) client.send(`["EVENT",${e.raw}]`);
    const ok = (id: string) => client.next((m) => m[0] === 'OK' && m[1] === id);
    assert.deepEqual(await ok(spam.event.id), ['OK', spam.event.id, false, 'rate-limited: slow down']);
    assert.deepEqual(await ok(fine.event.id), ['OK', fine.event.id, true, '']);
    assert.deepEqual(await ok(fail.event.id), ['OK', fail.event.id, false, 'error: internal error']);
    await sleep(20);
    assert.equal(client.all('OK').length, 3, 'the waiting event is not answered yet');
    assert.equal(relay.gateway.stats().pendingSubmits, 1, 'a pending verdict counts as in flight');
    gate.resolve(undefined);
    assert.deepEqual(await ok(wait.event.id), ['OK', wait.event.id, true, '']);
    assert.deepEqual(
      relay.ingest.requests.map((r) => r.event.event.content),
      ['fine', 'wait'],
    );
    await sleep(20);
    assert.equal(client.all('OK').length, 4);
  } finally {
    await relay.close();
  }
});

test('a throwing synchronous rejectEvent is answered OK false error: (not a bare NOTICE)', async () => {
  const relay = await startRelay(
    {},
    {
      hooks: {
        rejectEvent: [
          () => {
            throw new Error('bug');
          },
        ],
      },
    },
  );
  try {
    const client = await relay.connect();
    const e = signedRaw({ content: 'x' });
    client.send(`["EVENT",${e.raw}]`);
    assert.deepEqual(await client.next((m) => m[0] === 'OK'), [
      'OK',
      e.event.id,
      false,
      'error: internal error',
    ]);
    assert.equal(client.all('NOTICE').length, 0);
  } finally {
    await relay.close();
  }
});

test('async rejectReq / rejectFilter: refusal is CLOSED, a pass opens the subscription in order', async () => {
  const relay = await startRelay(
    {},
    {
      hooks: {
        rejectReq: [async (filters) => (filters.length > 2 ? 'rate-limited: too many filters' : undefined)],
        rejectFilter: [async (filter) => (filter.kinds?.includes(4) ? 'auth-required: DMs' : undefined)],
      },
    },
  );
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 'many', {}, {}, {}]);
    assert.deepEqual(await client.next((m) => m[0] === 'CLOSED' && m[1] === 'many'), [
      'CLOSED',
      'many',
      'rate-limited: too many filters',
    ]);
    client.sendJson(['REQ', 'dm', { kinds: [1] }, { kinds: [4] }]);
    assert.deepEqual(await client.next((m) => m[0] === 'CLOSED' && m[1] === 'dm'), [
      'CLOSED',
      'dm',
      'auth-required: DMs',
    ]);
    assert.equal(relay.query.calls.length, 0);
    assert.equal(relay.gateway.stats().subscriptions, 0);

    client.sendJson(['REQ', 'ok', { kinds: [1] }]);
    const call = await relay.query.call(0);
    // Registered in the live index before the stored query started: a live event is buffered.
    assert.equal(relay.gateway.stats().subscriptions, 1);
    const live = signedRaw({ content: 'live' });
    await relay.publish(live);
    call.end();
    await client.next((m) => m[0] === 'EOSE' && m[1] === 'ok');
    await client.next((m) => m[0] === 'EVENT' && m[1] === 'ok');
    const verbs = client.messages.filter((m) => m[1] === 'ok').map((m) => m[0]);
    assert.deepEqual(verbs, ['EOSE', 'EVENT']);

    client.sendJson(['COUNT', 'c', { kinds: [4] }]);
    assert.deepEqual(await client.next((m) => m[1] === 'c'), ['CLOSED', 'c', 'auth-required: DMs']);
    client.sendJson(['COUNT', 'c2', { kinds: [1] }]);
    assert.deepEqual(await client.next((m) => m[1] === 'c2'), ['COUNT', 'c2', { count: 0 }]);
  } finally {
    await relay.close();
  }
});

test('CLOSE, a replacing REQ or a disconnect while async hooks run cancel the pending REQ', async () => {
  const gates: Array<ReturnType<typeof deferred<string | undefined>>> = [];
  const relay = await startRelay(
    { MAX_SUBSCRIPTIONS: 2 },
    {
      hooks: {
        rejectReq: [
          () => {
            const gate = deferred<string | undefined>();
            gates.push(gate);
            return gate.promise;
          },
        ],
      },
    },
  );
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 'a', { kinds: [1] }]);
    client.sendJson(['CLOSE', 'a']);
    client.sendJson(['REQ', 'b', { kinds: [1] }]);
    client.sendJson(['REQ', 'b', { kinds: [2] }]);
    while (gates.length < 3) await sleep(5);
    // A pending REQ holds its id: it counts against MAX_SUBSCRIPTIONS like an open one.
    client.sendJson(['REQ', 'c', { kinds: [3] }]);
    client.sendJson(['REQ', 'd', { kinds: [3] }]);
    await client.next((m) => m[0] === 'CLOSED' && m[1] === 'd');
    relay.query.autoEnd = true;
    for (const gate of gates.slice(0, 3)) gate.resolve(undefined);
    await client.next((m) => m[0] === 'EOSE' && m[1] === 'b');
    await sleep(30);
    assert.deepEqual(
      relay.query.calls.map((c) => c.request.filters[0]?.kinds),
      [[2]],
      'only the replacing REQ ran; the closed one never did',
    );
    assert.equal(client.all('EOSE', 'a').length + client.all('CLOSED', 'a').length, 0);
    // c is still pending; a disconnect ends it without an answer or an error.
    client.ws.close();
    await client.waitClose();
    gates[3]?.resolve(undefined);
    await sleep(30);
    assert.equal(relay.gateway.stats().subscriptions, 0);
    assert.equal(relay.query.calls.length, 1);
  } finally {
    await relay.close();
  }
});

test('async rejectConnection: 429 for rate-limited:, 403 otherwise, the client ip is given', async () => {
  const ips: string[] = [];
  let answer: string | undefined;
  const relay = await startRelay(
    {},
    {
      hooks: {
        rejectConnection: [
          async (_req, ip) => {
            ips.push(ip);
            await sleep(5);
            return answer;
          },
        ],
      },
    },
  );
  try {
    answer = 'rate-limited: too many connections';
    const limited = await upgradeStatus(relay.port);
    assert.equal(limited.status, 429);
    assert.equal(limited.body, 'rate-limited: too many connections\n');
    answer = 'no';
    const blocked = await upgradeStatus(relay.port);
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body, 'blocked: no\n');
    answer = undefined;
    const open = await upgradeStatus(relay.port);
    assert.equal(open.status, 101);
    open.ws.close();
    assert.deepEqual(ips, ['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    assert.equal(relay.gateway.stats().connectionsRejected, 2);
  } finally {
    await relay.close();
  }
});
