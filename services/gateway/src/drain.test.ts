import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IngestResult } from '@nrelay/seams/ingest';
import { signedRaw } from '@nrelay/testkit';
import { startRelay } from './fixtures.js';
import { SHUTTING_DOWN_REASON } from './handlers/event.js';

const okFor = (id: string) => (m: readonly unknown[]) => m[0] === 'OK' && m[1] === id;

async function status(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.arrayBuffer();
  return res.status;
}

// Issue 10, defect 10: an EVENT that arrived while the gateway drained was submitted after the
// gateway stopped waiting for OKs, and was stored without an OK.
test('draining: the EVENT in flight gets its OK; an EVENT arriving meanwhile is answered error: and never submitted', async () => {
  const relay = await startRelay({ SHUTDOWN_GRACE_MS: 5000 });
  const client = await relay.connect();
  let release!: (r: IngestResult) => void;
  relay.ingest.answer = () =>
    new Promise<IngestResult>((resolve) => {
      release = resolve;
    });
  const first = signedRaw({ content: 'in flight' });
  const late = signedRaw({ content: 'during drain' });
  client.send(`["EVENT",${first.raw}]`);
  while (relay.ingest.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  const closed = relay.gateway.close(5000);
  client.send(`["EVENT",${late.raw}]`);
  assert.deepEqual(await client.next(okFor(late.event.id)), [
    'OK',
    late.event.id,
    false,
    SHUTTING_DOWN_REASON,
  ]);
  assert.match(SHUTTING_DOWN_REASON, /^error: .*not stored/);
  assert.deepEqual(
    relay.ingest.requests.map((r) => r.event.event.id),
    [first.event.id],
    'an EVENT received while draining was submitted to ingest',
  );
  release({ ok: true, reason: '' });
  assert.deepEqual(await client.next(okFor(first.event.id)), ['OK', first.event.id, true, '']);
  await closed;
  assert.equal(client.all('OK').length, 2);
});

// Issue 10, defect 9: with Redis down both gateways went not-ready and the load balancer refused
// read-only clients too. /readyz is reads; /readyz/write adds ingest.
test('/readyz reports reads and stays up while writes are down; /readyz/write reports writes', async () => {
  let writable = true;
  const relay = await startRelay({}, { writesReady: () => writable });
  try {
    assert.equal(await status(relay.port, '/readyz'), 200);
    assert.equal(await status(relay.port, '/readyz/write'), 200);
    writable = false;
    assert.equal(await status(relay.port, '/readyz'), 200, 'a write outage took reads out of rotation');
    assert.equal(await status(relay.port, '/readyz/write'), 503);
  } finally {
    await relay.close();
  }
});
