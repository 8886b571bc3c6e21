import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packItems } from '@nrelay/protocol';
import type { ItemsRequest } from '@nrelay/seams/query';
import { sleep, startRelay, type TestRelay } from './fixtures.js';

// NIP-77 sessions on the gateway (handlers/neg.ts) over a fake query client: answers, errors,
// limits and the session's life. The full sync against nostr-tools is in tests/integration
// (suite/negentropy.ts); the algorithm's differential test in libs/protocol.

const IDS = ['aa', 'bb', 'cc'].map((b) => b.repeat(32));
const ITEMS = packItems(IDS.map((id, i) => [1_700_000_000 + i, id] as const));
/** A V1 initiator's first message for an empty set: one range to infinity, an empty IdList. */
const EMPTY_SET_MESSAGE = '6100000200';
/** The relay's answer to it over ITEMS: the same range, with its three ids. */
const ANSWER = `6100000203${IDS.join('')}`;

const negFrom = (sub: string) => (m: readonly unknown[]) =>
  (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === sub;

async function withRelay(settings: Record<string, unknown>, run: (relay: TestRelay) => Promise<void>) {
  const relay = await startRelay(settings);
  relay.query.itemsAnswer = async () => ITEMS;
  try {
    await run(relay);
  } finally {
    await relay.close();
  }
}

test('NEG-OPEN answers from the item set, asked for NEG_MAX_RECORDS + 1 for this viewer', async () => {
  await withRelay({ NEG_MAX_RECORDS: 10 }, async (relay) => {
    const requests: ItemsRequest[] = [];
    relay.query.itemsAnswer = async (request) => {
      requests.push(request);
      return ITEMS;
    };
    const client = await relay.connect();
    await client.sendJson(['NEG-OPEN', 'n', { kinds: [1] }, EMPTY_SET_MESSAGE]);
    assert.deepEqual(await client.next(negFrom('n')), ['NEG-MSG', 'n', ANSWER]);
    assert.deepEqual(requests, [{ v: 1, filter: { kinds: [1] }, viewer: { authedPubkeys: [] }, limit: 11 }]);
    // The next round is answered from the set held on the gateway: no second read.
    const mark = client.mark();
    await client.sendJson(['NEG-MSG', 'n', EMPTY_SET_MESSAGE]);
    assert.deepEqual(await client.next(negFrom('n'), mark), ['NEG-MSG', 'n', ANSWER]);
    assert.equal(requests.length, 1);
  });
});

test('a 128 KiB NEG-MSG frame is accepted (MAX_MESSAGE_BYTES default)', async () => {
  await withRelay({}, async (relay) => {
    const client = await relay.connect();
    // One IdList range of 2,050 ids (65,600 bytes, 131,200 hex characters): a client's big round.
    const ids = 'ab'.repeat(32 * 2050);
    const message = `610000029002${ids}`;
    assert.ok(message.length > 128 * 1024);
    await client.sendJson(['NEG-OPEN', 'big', {}, EMPTY_SET_MESSAGE]);
    await client.next(negFrom('big'));
    const mark = client.mark();
    await client.sendJson(['NEG-MSG', 'big', message]);
    assert.deepEqual(await client.next(negFrom('big'), mark), ['NEG-MSG', 'big', ANSWER]);
  });
});

test('versions, unknown ids, bad hex and bad messages: NEG-ERR or V1, the connection stays usable', async () => {
  await withRelay({}, async (relay) => {
    relay.query.autoEnd = true;
    const client = await relay.connect();
    await client.sendJson(['NEG-OPEN', 'v', {}, '62']);
    assert.deepEqual(await client.next(negFrom('v')), ['NEG-MSG', 'v', '61']);
    await client.sendJson(['NEG-MSG', 'nope', '61']);
    const unknown = await client.next(negFrom('nope'));
    assert.equal(unknown[0], 'NEG-ERR');
    assert.match(String(unknown[2]), /^closed: /);
    const mark = client.mark();
    await client.sendJson(['NEG-MSG', 'v', 'xyz']);
    assert.match(String((await client.next(negFrom('v'), mark))[2]), /^invalid: /);
    await client.sendJson(['NEG-OPEN', 'b', {}, '61000002']);
    const bad = await client.next(negFrom('b'));
    assert.deepEqual(bad.slice(0, 2), ['NEG-ERR', 'b']);
    assert.match(String(bad[2]), /^invalid: bad negentropy message/);
    await client.sendJson(['REQ', 'r', { kinds: [1] }]);
    await client.next((m) => m[0] === 'EOSE' && m[1] === 'r');
  });
});

test('too many records: NEG-ERR blocked; sessions count against MAX_SUBSCRIPTIONS', async () => {
  await withRelay({ NEG_MAX_RECORDS: 2 }, async (relay) => {
    const client = await relay.connect();
    await client.sendJson(['NEG-OPEN', 'big', {}, EMPTY_SET_MESSAGE]);
    assert.deepEqual(await client.next(negFrom('big')), [
      'NEG-ERR',
      'big',
      'blocked: too many query results',
    ]);
  });
  await withRelay({ MAX_SUBSCRIPTIONS: 2 }, async (relay) => {
    const client = await relay.connect();
    for (const sub of ['a', 'b', 'a']) {
      const mark = client.mark();
      await client.sendJson(['NEG-OPEN', sub, {}, EMPTY_SET_MESSAGE]);
      assert.equal(
        (await client.next(negFrom(sub), mark))[0],
        'NEG-MSG',
        `a replaced session is not counted (${sub})`,
      );
    }
    await client.sendJson(['REQ', 'r', {}]);
    const closed = await client.next((m) => m[0] === 'CLOSED' && m[1] === 'r');
    assert.match(String(closed[2]), /^restricted: too many subscriptions/);
    await client.sendJson(['NEG-OPEN', 'c', {}, EMPTY_SET_MESSAGE]);
    assert.match(String((await client.next(negFrom('c')))[2]), /^restricted: too many subscriptions/);
    await client.sendJson(['NEG-CLOSE', 'a']);
    const mark = client.mark();
    await client.sendJson(['NEG-MSG', 'a', EMPTY_SET_MESSAGE]);
    assert.match(String((await client.next(negFrom('a'), mark))[2]), /^closed: /);
    relay.query.autoEnd = true;
    await client.sendJson(['REQ', 'r2', {}]);
    await client.next((m) => m[0] === 'EOSE' && m[1] === 'r2');
  });
});

test('an idle session is dropped with NEG-ERR closed: idle timeout', async () => {
  await withRelay({ NEG_IDLE_TIMEOUT_MS: 1000 }, async (relay) => {
    const client = await relay.connect();
    await client.sendJson(['NEG-OPEN', 'i', {}, EMPTY_SET_MESSAGE]);
    await client.next(negFrom('i'));
    await sleep(600);
    // A message restarts the idle timer.
    await client.sendJson(['NEG-MSG', 'i', EMPTY_SET_MESSAGE]);
    await sleep(600);
    assert.equal(client.all('NEG-ERR').length, 0);
    const err = await client.next((m) => m[0] === 'NEG-ERR' && m[1] === 'i');
    assert.deepEqual(err, ['NEG-ERR', 'i', 'closed: idle timeout']);
  });
});

test('NEG_ENABLED=false refuses NEG-OPEN and leaves 77 out of NIP-11', async () => {
  await withRelay({ NEG_ENABLED: false }, async (relay) => {
    const client = await relay.connect();
    await client.sendJson(['NEG-OPEN', 'o', {}, EMPTY_SET_MESSAGE]);
    const err = await client.next(negFrom('o'));
    assert.deepEqual(err.slice(0, 2), ['NEG-ERR', 'o']);
    assert.match(String(err[2]), /^blocked: /);
    const res = await fetch(`http://127.0.0.1:${relay.port}/`, {
      headers: { accept: 'application/nostr+json' },
    });
    const doc = (await res.json()) as { supported_nips: number[] };
    assert.ok(!doc.supported_nips.includes(77));
  });
});
