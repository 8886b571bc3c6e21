import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerOf, createSecretCheck, isLoopbackHost } from './service-secret.js';

test('the secret check accepts only the exact bearer value', () => {
  const check = createSecretCheck('s3cret');
  assert.equal(check(bearerOf('s3cret')), true);
  for (const wrong of [
    undefined,
    '',
    's3cret',
    'Bearer s3cre',
    'Bearer s3cret ',
    'bearer x',
    bearerOf('other'),
  ]) {
    assert.equal(check(wrong), false, String(wrong));
  }
});

test('loopback hosts', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])
    assert.ok(isLoopbackHost(host));
  for (const host of ['0.0.0.0', '::', '10.0.0.1', 'query', 'localhost.example.com'])
    assert.ok(!isLoopbackHost(host));
});
