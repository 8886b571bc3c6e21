import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@nrelay/protocol/testing';
import { getPublicKey } from 'nostr-tools/pure';
import { derivedKeys, eventId, pickDistinct, READS_T_VALUES, readsDataSet } from './reads-data.js';

const opts = { count: 2000, authors: 100, seed: 7, now: 1_700_000_000, spanSeconds: 7200 };

test('the key pool is derived from the seed: same seed, same keys; each pubkey matches its secret key', () => {
  const a = derivedKeys(7, 5);
  assert.deepEqual(a, derivedKeys(7, 5));
  assert.notDeepEqual(a.pubkeys, derivedKeys(8, 5).pubkeys);
  assert.equal(new Set(a.pubkeys).size, 5);
  assert.equal(a.pubkeys[2], getPublicKey(Buffer.from(a.secretKeys[2] as string, 'hex')));
});

test('notes: kind 1, ~300 bytes, created_at ascending within the window, authors in turn', () => {
  const set = readsDataSet(opts);
  assert.equal(set.drafts.length, 2000);
  let prev = 0;
  set.drafts.forEach((d, i) => {
    assert.equal(d.kind, 1);
    assert.equal(d.keyIndex, i % 100);
    const bytes = Buffer.byteLength(d.content);
    assert.ok(bytes >= 290 && bytes <= 310, `content of ${bytes} bytes`);
    assert.ok(d.created_at >= opts.now - opts.spanSeconds && d.created_at <= opts.now);
    assert.ok(d.created_at >= prev);
    prev = d.created_at;
  });
  assert.ok((set.drafts.at(-1)?.created_at ?? 0) > opts.now - 10, 'the newest note is about now');
});

test('tags: t one of 100 values (each on 1 % of notes), p a pool pubkey, e an earlier note of the set', () => {
  const set = readsDataSet(opts);
  assert.equal(set.tValues.length, READS_T_VALUES);
  const perT = new Map<string, number>();
  set.drafts.forEach((d, i) => {
    const [t, p, e] = d.tags;
    assert.equal(t?.[0], 't');
    perT.set(t?.[1] as string, (perT.get(t?.[1] as string) ?? 0) + 1);
    assert.equal(p?.[0], 'p');
    assert.ok(set.keys.pubkeys.includes(p?.[1] as string));
    if (i === 0) assert.equal(d.tags.length, 2, 'the first note has no earlier one');
    else {
      assert.equal(d.tags.length, 3);
      assert.equal(e?.[0], 'e');
      const j = set.ids.indexOf(e?.[1] as string);
      assert.ok(j >= 0 && j < i, `note ${i} refers to note ${j}`);
    }
  });
  assert.deepEqual([...new Set(perT.values())], [20]);
});

test('ids are the NIP-01 hashes of the notes, all distinct', () => {
  const set = readsDataSet({ ...opts, count: 300 });
  assert.equal(new Set(set.ids).size, 300);
  const d = set.drafts[5];
  assert.ok(d);
  assert.equal(set.ids[5], eventId(set.keys.pubkeys[d.keyIndex] as string, d));
});

test('pickDistinct picks n distinct items, or all of fewer', () => {
  const rand = seededRandom(3);
  const picked = pickDistinct([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 10, rand);
  assert.equal(picked.length, 10);
  assert.equal(new Set(picked).size, 10);
  assert.deepEqual(pickDistinct([1, 2], 10, rand).sort(), [1, 2]);
});
