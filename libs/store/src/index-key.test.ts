import assert from 'node:assert/strict';
import { it } from 'node:test';
import { indexKey, indexKeys, MAX_INDEXED_VALUE_LENGTH } from './index-key.js';

it('keeps short ordinary values and hashes long, NUL-holding or \\u0001-prefixed ones', () => {
  assert.equal(indexKey('nostr'), 'nostr');
  assert.equal(indexKey(''), '');
  const edge = 'x'.repeat(MAX_INDEXED_VALUE_LENGTH);
  assert.equal(indexKey(edge), edge);
  for (const value of [`${edge}x`, 'a\u0000b', '\u0001abc']) {
    const key = indexKey(value);
    assert.match(key, /^\u0001[0-9a-f]{64}$/);
    assert.equal(indexKey(value), key);
  }
  assert.notEqual(indexKey('\u0001abc'), '\u0001abc');
  assert.deepEqual(indexKeys(['a', 'a', 'b']), ['a', 'b']);
});
