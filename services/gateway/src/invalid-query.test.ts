import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidQueryError } from '@nrelay/seams/query';
import { startRelay } from './fixtures.js';

const closed = (sub: string) => (m: readonly unknown[]) => m[0] === 'CLOSED' && m[1] === sub;

test('a query the QueryClient refuses as invalid is answered CLOSED invalid:, a failure CLOSED error:', async () => {
  const relay = await startRelay();
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 'r1', { search: 'too complex' }]);
    (await relay.query.call(0)).fail(
      new InvalidQueryError('query too complex for the database (SQLSTATE 54001)'),
    );
    const r1 = await client.next(closed('r1'));
    assert.equal(r1[2], 'invalid: query too complex for the database (SQLSTATE 54001)');
    client.sendJson(['REQ', 'r2', { kinds: [1] }]);
    (await relay.query.call(1)).fail(new Error('connection lost'));
    assert.match(String((await client.next(closed('r2')))[2]), /^error: /);
    relay.query.countAnswer = () =>
      Promise.reject(new InvalidQueryError('search has 17 terms, more than 16'));
    client.sendJson(['COUNT', 'c1', { search: 'x' }]);
    assert.equal((await client.next(closed('c1')))[2], 'invalid: search has 17 terms, more than 16');
  } finally {
    await relay.close();
  }
});

test('the gateway refuses a search over MAX_SEARCH_LENGTH / MAX_SEARCH_TERMS before any query', async () => {
  const relay = await startRelay({ MAX_SEARCH_TERMS: '2' });
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 'r1', { search: 'one two three' }]);
    assert.equal((await client.next(closed('r1')))[2], 'invalid: search has 3 terms, more than 2');
    client.sendJson(['COUNT', 'c1', { search: 'x'.repeat(257) }]);
    assert.equal((await client.next(closed('c1')))[2], 'invalid: search longer than 256 characters');
    assert.equal(relay.query.calls.length, 0);
  } finally {
    await relay.close();
  }
});
