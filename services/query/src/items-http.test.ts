import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packItems } from '@nrelay/protocol';
import { QueryServiceError } from '@nrelay/seams/query';
import { raw, start } from './http-fixtures.js';

// NIP-77 item sets over HTTP (POST /items): the records arrive whole, a cut or oversized answer
// is an error, and a bad limit or filter count is refused.

const none = async function* () {
  yield* [];
};
const LIVE = new AbortController().signal;
const request = (limit: number) => ({
  v: 1 as const,
  filter: { kinds: [1] },
  viewer: { authedPubkeys: [] },
  limit,
});
const records = packItems([
  [1, 'aa'.repeat(32)],
  [2, 'bb'.repeat(32)],
  [3, 'cc'.repeat(32)],
]);

test('items arrive byte for byte, with the limit and filter passed through', async () => {
  let seen: unknown;
  const s = await start(none, {
    items: async (req) => {
      seen = req;
      return records;
    },
  });
  try {
    assert.deepEqual(Buffer.from(await s.client.items(request(5), LIVE)), Buffer.from(records));
    assert.deepEqual(seen, request(5));
  } finally {
    await s.close();
  }
});

test('an answer above the limit, or a failure after the headers, is an error', async () => {
  let fail = false;
  const s = await start(none, {
    items: async () => {
      if (fail) throw new Error('database gone');
      return records;
    },
  });
  try {
    await assert.rejects(s.client.items(request(2), LIVE), QueryServiceError);
    fail = true;
    await assert.rejects(s.client.items(request(5), LIVE), QueryServiceError);
  } finally {
    await s.close();
  }
});

test('a bad limit or several filters are refused with 400', async () => {
  const s = await start(none, { items: async () => records });
  try {
    const body = '{"v":1,"filters":[{}],"viewer":{"authedPubkeys":[]}}';
    for (const path of ['/items', '/items?limit=0', '/items?limit=x', '/items?limit=99999999999']) {
      assert.equal((await raw(s.port, 'POST', path, body)).status, 400, path);
    }
    const two = '{"v":1,"filters":[{},{}],"viewer":{"authedPubkeys":[]}}';
    assert.equal((await raw(s.port, 'POST', '/items?limit=3', two)).status, 400);
  } finally {
    await s.close();
  }
});
