import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reasonLabel } from './reason.js';

test('reasons are labelled by their NIP-01 prefix, within bounds', () => {
  assert.equal(reasonLabel(''), 'none');
  assert.equal(reasonLabel('duplicate: already have this event'), 'duplicate');
  assert.equal(reasonLabel('rate-limited: slow down'), 'rate-limited');
  assert.equal(reasonLabel('auth-required: please authenticate'), 'auth-required');
  assert.equal(reasonLabel('blocked'), 'other');
  assert.equal(reasonLabel('no prefix here'), 'other');
  assert.equal(reasonLabel('xx:invalid: bad', 3), 'invalid');
  // The bound cuts the colon off: not a prefix.
  assert.equal(reasonLabel('pow: 20 bits', 0, 3), 'other');
});
