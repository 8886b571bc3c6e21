import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getPow } from 'nostr-tools/nip13';
import {
  dTagValue,
  expirationOf,
  isAddressable,
  isEphemeral,
  isReplaceable,
  kindClass,
  parseAddress,
  powDifficulty,
  replaceableKey,
} from './kinds.js';

const pk = 'a'.repeat(64);

describe('kindClass', () => {
  it('classifies every boundary', () => {
    const expected: Array<[number, string]> = [
      [0, 'replaceable'],
      [1, 'regular'],
      [2, 'regular'],
      [3, 'replaceable'],
      [4, 'regular'],
      [9999, 'regular'],
      [10000, 'replaceable'],
      [19999, 'replaceable'],
      [20000, 'ephemeral'],
      [29999, 'ephemeral'],
      [30000, 'addressable'],
      [39999, 'addressable'],
      [40000, 'regular'],
      [65535, 'regular'],
    ];
    for (const [kind, cls] of expected) {
      assert.equal(kindClass(kind), cls, `kind ${kind}`);
      assert.equal(isReplaceable(kind), cls === 'replaceable', `isReplaceable ${kind}`);
      assert.equal(isEphemeral(kind), cls === 'ephemeral', `isEphemeral ${kind}`);
      assert.equal(isAddressable(kind), cls === 'addressable', `isAddressable ${kind}`);
    }
  });
});

describe('tag readers', () => {
  it('reads the first d tag', () => {
    assert.equal(
      dTagValue({
        tags: [
          ['e', 'x'],
          ['d', 'one'],
          ['d', 'two'],
        ],
      }),
      'one',
    );
    assert.equal(dTagValue({ tags: [['d']] }), '');
    assert.equal(dTagValue({ tags: [] }), '');
  });

  it('builds replaceable keys per class', () => {
    const tags = [['d', 'slug:with:colons']];
    assert.equal(replaceableKey({ kind: 0, pubkey: pk, tags }), `0:${pk}`);
    assert.equal(replaceableKey({ kind: 10002, pubkey: pk, tags }), `10002:${pk}`);
    assert.equal(replaceableKey({ kind: 30023, pubkey: pk, tags }), `30023:${pk}:slug:with:colons`);
    assert.equal(replaceableKey({ kind: 30023, pubkey: pk, tags: [] }), `30023:${pk}:`);
    assert.equal(replaceableKey({ kind: 1, pubkey: pk, tags }), undefined);
    assert.equal(replaceableKey({ kind: 20001, pubkey: pk, tags }), undefined);
  });

  it('reads NIP-40 expiration and ignores malformed values', () => {
    assert.equal(expirationOf({ tags: [['expiration', '1700000000']] }), 1700000000);
    assert.equal(
      expirationOf({
        tags: [
          ['expiration', 'soon'],
          ['expiration', '5'],
        ],
      }),
      5,
    );
    for (const bad of ['', '-5', '1.5', '1e9', ' 12', '99999999999999999']) {
      assert.equal(expirationOf({ tags: [['expiration', bad]] }), undefined, bad);
    }
    assert.equal(expirationOf({ tags: [['expiration']] }), undefined);
    assert.equal(expirationOf({ tags: [] }), undefined);
  });
});

describe('powDifficulty', () => {
  it('counts leading zero bits (NIP-13 examples and nostr-tools)', () => {
    assert.equal(powDifficulty('000000000e9d97a1ab09fc381030b346cdd7a142ad57e6df0b46dc9bef6c7e2d'), 36);
    assert.equal(powDifficulty('002f' + '0'.repeat(60)), 10);
    assert.equal(powDifficulty('f'.repeat(64)), 0);
    assert.equal(powDifficulty('1' + '0'.repeat(63)), 3);
    assert.equal(powDifficulty('0'.repeat(64)), 256);
    for (const id of ['0'.repeat(5) + '7' + 'a'.repeat(58), '08' + 'f'.repeat(62), '0003' + 'b'.repeat(60)]) {
      assert.equal(powDifficulty(id), getPow(id), id);
    }
  });
});

describe('parseAddress', () => {
  it('parses kind:pubkey:d, keeping colons in d', () => {
    assert.deepEqual(parseAddress(`30023:${pk}:a:b`), { kind: 30023, pubkey: pk, d: 'a:b' });
    assert.deepEqual(parseAddress(`10002:${pk}:`), { kind: 10002, pubkey: pk, d: '' });
    assert.deepEqual(parseAddress(`0:${pk}`), { kind: 0, pubkey: pk, d: '' });
  });

  it('rejects bad kinds and pubkeys', () => {
    for (const a of [
      '',
      'x',
      `abc:${pk}:d`,
      `65536:${pk}:d`,
      `-1:${pk}:d`,
      `1:${pk.toUpperCase()}:d`,
      '1:abc:d',
    ]) {
      assert.equal(parseAddress(a), undefined, a);
    }
  });
});
