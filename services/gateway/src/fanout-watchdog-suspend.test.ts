import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IngestResult } from '@nrelay/seams/ingest';
import { RawClient, signedRaw } from '@nrelay/testkit';
import { FEED_LOST_NOTICE } from './fanout-watchdog.js';
import { startRelay } from './fixtures.js';

async function status(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.arrayBuffer();
  return res.status;
}

// What a gateway whose live feed is lost does (issue 14): `Gateway.suspend` with the watchdog's
// notice, driven directly (the watchdog's timing is fanout-watchdog.test.ts).
test('suspend: not ready, upgrades 503, CLOSED per subscription + NOTICE, in-flight OKs, then 1001; resume: ready again', async () => {
  const relay = await startRelay({ SHUTDOWN_GRACE_MS: 5000 });
  relay.query.autoEnd = true;
  try {
    const sub = await relay.connect();
    const pub = await relay.connect();
    for (const id of ['a', 'b']) {
      sub.sendJson(['REQ', id, { kinds: [1] }]);
      await sub.next((m) => m[0] === 'EOSE' && m[1] === id);
    }
    let release!: (r: IngestResult) => void;
    relay.ingest.answer = () =>
      new Promise<IngestResult>((resolve) => {
        release = resolve;
      });
    const inFlight = signedRaw({ content: 'in flight when the feed is lost' });
    pub.send(`["EVENT",${inFlight.raw}]`);
    while (relay.ingest.requests.length === 0) await new Promise((r) => setTimeout(r, 5));

    const suspended = relay.gateway.suspend(FEED_LOST_NOTICE);
    assert.equal(await status(relay.port, '/readyz'), 503);
    assert.equal(await status(relay.port, '/readyz/write'), 503);
    await assert.rejects(RawClient.open(relay.url, 2000), /503/, 'an upgrade while suspended');
    // Told at once, before the close; no live event reaches a CLOSED subscription.
    await sub.next((m) => m[0] === 'NOTICE');
    await relay.publish(signedRaw({ content: 'published after the CLOSED' }));
    // A connection with nothing in flight leaves at once; one with an EVENT once it is answered.
    const subClose = await sub.waitClose();
    assert.deepEqual([subClose.code, subClose.reason], [1001, FEED_LOST_NOTICE.close]);
    assert.equal(pub.closed, undefined, 'closed before its in-flight OK');
    release({ ok: true, reason: '' });
    assert.equal(await suspended, 2, 'connections closed');
    assert.equal((await pub.waitClose()).code, 1001);
    assert.deepEqual(
      sub.messages.filter((m) => m[0] !== 'EOSE' && m[0] !== 'AUTH'),
      [
        ['CLOSED', 'a', FEED_LOST_NOTICE.closed],
        ['CLOSED', 'b', FEED_LOST_NOTICE.closed],
        ['NOTICE', FEED_LOST_NOTICE.notice],
      ],
    );
    assert.match(FEED_LOST_NOTICE.closed, /^error: /);
    assert.ok(Buffer.byteLength(FEED_LOST_NOTICE.close) <= 123, 'a close reason fits a close frame');
    assert.deepEqual(
      pub.all('OK').map((m) => m.slice(0, 3)),
      [['OK', inFlight.event.id, true]],
      'the in-flight EVENT got its OK before the close',
    );
    assert.deepEqual([relay.gateway.stats().connections, relay.gateway.stats().subscriptions], [0, 0]);

    relay.gateway.resume();
    assert.equal(await status(relay.port, '/readyz'), 200);
    const back = await relay.connect();
    back.sendJson(['REQ', 'c', { kinds: [1] }]);
    await back.next((m) => m[0] === 'EOSE' && m[1] === 'c');
  } finally {
    await relay.close();
  }
});

test('suspend while closing the gateway does nothing', async () => {
  const relay = await startRelay();
  const client = await relay.connect();
  const closed = relay.gateway.close(500);
  assert.equal(await relay.gateway.suspend(FEED_LOST_NOTICE), 0);
  await closed;
  assert.equal((await client.waitClose()).reason, 'going away');
});

test('suspend: an EVENT still in an asynchronous rejectEvent hook keeps its connection open until its OK', async () => {
  let decide!: (reason: string | undefined) => void;
  const relay = await startRelay(
    { SHUTDOWN_GRACE_MS: 5000 },
    {
      hooks: {
        rejectEvent: [
          () =>
            new Promise<string | undefined>((resolve) => {
              decide = resolve;
            }),
        ],
      },
    },
  );
  try {
    const pub = await relay.connect();
    const event = signedRaw({ content: 'waiting for a rate limit when the feed is lost' });
    pub.send(`["EVENT",${event.raw}]`);
    while (decide === undefined) await new Promise((r) => setTimeout(r, 5));
    const suspended = relay.gateway.suspend(FEED_LOST_NOTICE);
    await pub.next((m) => m[0] === 'NOTICE');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pub.closed, undefined, 'closed while its EVENT was in the hook');
    decide(undefined);
    assert.equal(await suspended, 1);
    assert.deepEqual(
      pub.all('OK').map((m) => m.slice(0, 3)),
      [['OK', event.event.id, true]],
    );
    assert.equal((await pub.waitClose()).code, 1001);
  } finally {
    await relay.close();
  }
});
