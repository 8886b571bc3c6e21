import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { computeOffset, estimateCount, feedPubkey, hllEncode, mergeHll, newHll } from 'nostr-tools/nip45';
import { HLL_REGISTERS, hllAdd, hllHex, hllOffsetFor, hllOffsetOf, hllRank } from './hll.js';
import { seededRandom } from './testing.js';

const randomHex = () => randomBytes(32).toString('hex');

test('hllOffsetOf equals nostr-tools computeOffset: hex ids, addresses, anything else', () => {
  const values = ['', 'nostr', `30023:${randomHex()}:post`, `1:xyz:d`, 'https://example.com/a'];
  for (let i = 0; i < 200; i++) values.push(randomHex());
  for (const v of values) assert.equal(hllOffsetOf(v), computeOffset(v), v);
});

test('registers equal nostr-tools feedPubkey byte for byte, pubkeys with many zero bits included', () => {
  for (let round = 0; round < 50; round++) {
    const offset = hllOffsetOf(randomHex());
    const ours = new Uint8Array(HLL_REGISTERS);
    let theirs = newHll();
    const n = 1 + Math.floor(Math.random() * 2000);
    for (let i = 0; i < n; i++) {
      let pk = randomHex();
      // Zero runs after the register byte reach every rank, the 56-zero cap included.
      if (i % 50 === 0) {
        const zeros = '0'.repeat(Math.floor(Math.random() * 15));
        pk = pk.slice(0, offset * 2 + 2) + zeros + pk.slice(offset * 2 + 2 + zeros.length);
      }
      hllAdd(ours, pk, offset);
      theirs = feedPubkey(theirs, pk, offset);
    }
    assert.equal(hllHex(ours), hllEncode(theirs));
  }
  assert.equal(hllRank('00000000000000'), 57);
  assert.equal(hllRank('80000000000000'), 1);
  assert.equal(hllRank('01000000000000'), 8);
});

test('hllOffsetFor: one filter, kinds, one tag attribute with one value, no ids/authors/search', () => {
  const x = randomHex();
  assert.equal(hllOffsetFor([{ '#p': [x], kinds: [3] }]), computeOffset(x));
  assert.equal(hllOffsetFor([{ '#e': [x], kinds: [7], since: 1 }]), computeOffset(x));
  assert.equal(hllOffsetFor([{ '#a': [`30023:${x}:d`], kinds: [7] }]), computeOffset(x));
  assert.equal(hllOffsetFor([{ '#p': [x] }]), undefined);
  assert.equal(hllOffsetFor([{ '#p': [x, randomHex()], kinds: [3] }]), undefined);
  assert.equal(hllOffsetFor([{ '#p': [x], '#e': [x], kinds: [3] }]), undefined);
  assert.equal(hllOffsetFor([{ '#p': [x], kinds: [3], authors: [x] }]), undefined);
  assert.equal(hllOffsetFor([{ '#p': [x], kinds: [3] }, { kinds: [1] }]), undefined);
  assert.equal(hllOffsetFor([{ kinds: [1] }]), undefined);
});

test('merging two relays’ registers estimates the union: mean relative error over many sets', () => {
  const rand = seededRandom(45);
  let sumError = 0;
  const sets = 200;
  for (let s = 0; s < sets; s++) {
    const offset = hllOffsetOf(randomHex());
    const union = 50 + Math.floor(rand() * 5000);
    const a = new Uint8Array(HLL_REGISTERS);
    const b = new Uint8Array(HLL_REGISTERS);
    for (let i = 0; i < union; i++) {
      const pk = randomHex();
      // Each pubkey on relay A, relay B or both.
      const r = rand();
      if (r < 0.7) hllAdd(a, pk, offset);
      if (r > 0.3) hllAdd(b, pk, offset);
    }
    const estimate = estimateCount(mergeHll(new Uint8Array(a), b));
    sumError += Math.abs(estimate - union) / union;
  }
  const mean = sumError / sets;
  assert.ok(mean <= 0.1, `mean relative error ${(mean * 100).toFixed(1)} %`);
});
