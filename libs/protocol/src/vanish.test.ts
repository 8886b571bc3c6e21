import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vanishTarget } from './vanish.js';

test('vanishTarget: ALL_RELAYS (upper case only) or this relay, loosely', () => {
  const url = 'wss://relay.example.com';
  assert.equal(vanishTarget({ tags: [['relay', 'ALL_RELAYS']] }, undefined), 'this');
  assert.equal(vanishTarget({ tags: [['relay', 'all_relays']] }, url), 'other');
  assert.equal(vanishTarget({ tags: [['relay', 'https://RELAY.example.com/']] }, url), 'this');
  assert.equal(
    vanishTarget(
      {
        tags: [
          ['relay', 'wss://other.example.com'],
          ['relay', url],
        ],
      },
      url,
    ),
    'this',
  );
  assert.equal(vanishTarget({ tags: [['relay', 'wss://other.example.com']] }, url), 'other');
  assert.equal(vanishTarget({ tags: [['relay', url]] }, undefined), 'other');
  assert.equal(vanishTarget({ tags: [['p', url]] }, url), 'none');
});
