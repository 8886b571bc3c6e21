import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignedEvent } from './events.js';
import { EventGenerator } from './events.js';
import { type EventRow, seedBatch, storeRows, type TagRow } from './seed-db.js';
import { SignerPool } from './signer.js';

const PK = 'a'.repeat(64);
const event = (kind: number, tags: string[][], content = 'hello'): SignedEvent => {
  const e = { id: 'f'.repeat(64), pubkey: PK, kind, created_at: 1_700_000_000, tags, content };
  return { ...e, raw: JSON.stringify({ ...e, sig: '0'.repeat(128) }) };
};

test('rows carry the replace key of replaceable and addressable kinds, and none for regular ones', () => {
  assert.equal(storeRows(event(1, [])).event[5], null);
  assert.equal(storeRows(event(0, [])).event[5], `0:${PK}`);
  assert.equal(storeRows(event(30023, [['d', 'post']])).event[5], `30023:${PK}:post`);
  assert.equal(storeRows(event(30023, [])).event[5], `30023:${PK}:`);
});

test('single-letter tags become distinct tag rows with the event expiry; long values are hashed', () => {
  const long = 'x'.repeat(300);
  const { event: row, tags } = storeRows(
    event(1, [
      ['p', 'b'],
      ['p', 'b'],
      ['t', 'nostr'],
      ['title', 'no'],
      ['e'],
      ['r', long],
      ['expiration', '1800000000'],
    ]),
  );
  assert.equal(row[6], 1_800_000_000);
  assert.deepEqual(
    tags.map((t: TagRow) => [t[1], t[2].startsWith('\u0001') ? 'hashed' : t[2], t[5]]),
    [
      ['p', 'b', 1_800_000_000],
      ['t', 'nostr', 1_800_000_000],
      ['r', 'hashed', 1_800_000_000],
    ],
  );
});

test('the search text drops NUL and is null for blank content; deletions cannot be seeded', () => {
  assert.equal(storeRows(event(1, [], 'a\u0000b')).event[7], 'ab');
  assert.equal(storeRows(event(1, [], '  ')).event[7], null);
  assert.throws(() => storeRows(event(5, [])), /kind 5/);
  assert.throws(() => storeRows(event(20001, [])), /kind 20001/);
});

test('a seed batch is the rows as JSON, and the signing threads build the same batches', async () => {
  const batch = seedBatch([event(1, [['t', 'a']]), event(7, [])]);
  assert.deepEqual([batch.events, batch.tags], [2, 1]);
  const rows = JSON.parse(batch.eventsJson) as EventRow[];
  assert.equal(rows[1]?.[2], 7);
  assert.equal(rows[0]?.[4], event(1, [['t', 'a']]).raw);

  const pool = new SignerPool(2);
  try {
    const keys = await pool.generateKeys(10);
    const drafts = new EventGenerator({
      authors: 10,
      pubkeys: keys.pubkeys,
      mix: 'realistic',
      seed: 9,
      now: 1_700_000_000,
      spanSeconds: 86_400,
    }).take(3000);
    const onThreads = await pool.rows(drafts, keys, true);
    assert.equal(onThreads.length, 2, 'one batch per 2,500 drafts');
    assert.equal(
      onThreads.reduce((n, b) => n + b.events, 0),
      3000,
    );
    const signed = await pool.sign(drafts, keys, true);
    const here = [seedBatch(signed.slice(0, 2500)), seedBatch(signed.slice(2500))];
    assert.deepEqual(onThreads, here);
  } finally {
    await pool.close();
  }
});
