import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isInputError, isRetryable, sqlState } from './sqlstate.js';

it('classifies by SQLSTATE only', () => {
  const err = (code: unknown) => Object.assign(new Error('whatever the text says'), { code });
  assert.equal(sqlState(err('23505')), '23505');
  assert.equal(sqlState(err('ECONNREFUSED')), undefined);
  assert.equal(sqlState('23505'), undefined);
  for (const code of ['23505', '40001', '40P01']) assert.ok(isRetryable(err(code)));
  assert.ok(!isRetryable(err('22003')));
  for (const code of ['22003', '22021', '23502', '54000']) assert.ok(isInputError(err(code)));
  for (const code of ['23505', '08006', '57P01', 'ECONNRESET']) assert.ok(!isInputError(err(code)));
  assert.ok(!isRetryable(new Error('deadlock detected')));
});
