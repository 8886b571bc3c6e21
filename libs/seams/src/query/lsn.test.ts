import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLsn, parseLsn } from './lsn.js';

test('LSN texts parse to positions that compare like the WAL, and print back as Postgres does', () => {
  assert.equal(parseLsn('0/0'), 0n);
  assert.equal(parseLsn('0/16B3748'), 0x16b3748n);
  assert.equal(parseLsn('1/0'), 1n << 32n);
  // The high half dominates: 1/0 is past 0/FFFFFFFF.
  assert.ok((parseLsn('1/0') as bigint) > (parseLsn('0/FFFFFFFF') as bigint));
  assert.ok((parseLsn('0/A0') as bigint) > (parseLsn('0/9F') as bigint));
  assert.equal(parseLsn('a/b'), parseLsn('A/B'));
  for (const text of ['0/16B3748', '1/0', 'FFFFFFFF/FFFFFFFF', '0/0']) {
    assert.equal(formatLsn(parseLsn(text) as bigint), text);
  }
});

test('anything but X/Y with 1-8 hex digits each is not an LSN', () => {
  for (const bad of ['', '0', '/0', '0/', '0/0/0', 'g/0', '123456789/0', ' 0/0', '0/0 ', '-1/0', 'primary']) {
    assert.equal(parseLsn(bad), undefined, bad);
  }
});
