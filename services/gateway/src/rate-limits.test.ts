import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RATE_LIMIT_REASONS } from '@nrelay/access';
import { loadConfig } from '@nrelay/config';
import { signedRaw } from '@nrelay/testkit';
import { WebSocket } from 'ws';
import { startRelay } from './fixtures.js';
import { gatewayRateLimitHooks } from './rate-limits.js';

/** A test relay with the built-in rate limits of `settings` (local buckets). */
async function limitedRelay(settings: Record<string, unknown>) {
  const config = loadConfig({}, settings);
  return startRelay(settings, { hooks: gatewayRateLimitHooks(config) });
}

test('EVENTs per IP: the burst passes, the next one is rate-limited before ingest', async () => {
  const relay = await limitedRelay({ RATE_EVENTS_PER_IP: 1, BURST_EVENTS_PER_IP: 3 });
  try {
    const client = await relay.connect();
    const events = Array.from({ length: 4 }, (_, i) => signedRaw({ content: `n${i}` }));
    for (const e of events) client.send(`["EVENT",${e.raw}]`);
    const answers = [];
    for (const e of events) answers.push(await client.next((m) => m[0] === 'OK' && m[1] === e.event.id));
    assert.deepEqual(
      answers.map((m) => [m[2], m[3]]),
      [
        [true, ''],
        [true, ''],
        [true, ''],
        [false, RATE_LIMIT_REASONS.eventsPerIp],
      ],
    );
    assert.equal(relay.ingest.requests.length, 3);
    // The budget is the IP's, not the connection's.
    const other = await relay.connect();
    const more = signedRaw({ content: 'other connection' });
    other.send(`["EVENT",${more.raw}]`);
    assert.equal((await other.next((m) => m[0] === 'OK'))[2], false);
  } finally {
    await relay.close();
  }
});

test('REQs and COUNTs per connection: CLOSED rate-limited, other connections unaffected', async () => {
  const relay = await limitedRelay({ RATE_REQS_PER_CONNECTION: 1, BURST_REQS_PER_CONNECTION: 2 });
  try {
    relay.query.autoEnd = true;
    const client = await relay.connect();
    client.sendJson(['REQ', 'a', { kinds: [1] }]);
    client.sendJson(['COUNT', 'b', { kinds: [1] }]);
    client.sendJson(['REQ', 'c', { kinds: [1] }]);
    assert.deepEqual(await client.next((m) => m[1] === 'c'), [
      'CLOSED',
      'c',
      RATE_LIMIT_REASONS.reqsPerConnection,
    ]);
    await client.next((m) => m[0] === 'EOSE' && m[1] === 'a');
    await client.next((m) => m[0] === 'COUNT' && m[1] === 'b');
    const other = await relay.connect();
    other.sendJson(['REQ', 'x', { kinds: [1] }]);
    await other.next((m) => m[0] === 'EOSE' && m[1] === 'x');
  } finally {
    await relay.close();
  }
});

test('new connections per IP: refused with HTTP 429 and the reason', async () => {
  const relay = await limitedRelay({ RATE_CONNECTIONS_PER_IP: 1, BURST_CONNECTIONS_PER_IP: 2 });
  try {
    await relay.connect();
    await relay.connect();
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/`);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => resolve({ status: 101, body: '' }));
      ws.on('error', () => undefined);
    });
    assert.deepEqual(answer, { status: 429, body: `${RATE_LIMIT_REASONS.connectionsPerIp}\n` });
  } finally {
    await relay.close();
  }
});

test('NIP-11 advertises the enabled limits in nrelay_rate_limits, and nothing when all are off', async () => {
  const fetchInfo = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { Accept: 'application/nostr+json' } });
    return (await res.json()) as { limitation: Record<string, unknown>; nrelay_rate_limits?: unknown };
  };
  // The per-connection REQ/COUNT limit is the one limit on by default.
  const byDefault = await startRelay();
  try {
    const info = await fetchInfo(byDefault.port);
    assert.deepEqual(info.nrelay_rate_limits, { reqs_per_connection: { rate: 1000, burst: 2000 } });
  } finally {
    await byDefault.close();
  }
  const off = await startRelay({ RATE_REQS_PER_CONNECTION: 0 });
  try {
    const info = await fetchInfo(off.port);
    assert.equal(info.nrelay_rate_limits, undefined);
  } finally {
    await off.close();
  }
  const on = await limitedRelay({ RATE_EVENTS_PER_IP: 5, RATE_REQS_PER_CONNECTION: 2 });
  try {
    const info = await fetchInfo(on.port);
    assert.deepEqual(info.nrelay_rate_limits, {
      events_per_ip: { rate: 5, burst: 200 },
      reqs_per_connection: { rate: 2, burst: 2000 },
    });
    assert.equal(
      Object.keys(info.limitation).some((k) => k.includes('rate')),
      false,
    );
  } finally {
    await on.close();
  }
});
