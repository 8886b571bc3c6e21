import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mergeAsync } from './merge.js';

async function* delayed(items: string[], ms: number): AsyncGenerator<string> {
  for (const item of items) {
    await sleep(ms);
    yield item;
  }
}

test('items are yielded as soon as any source produces them', async () => {
  const out: string[] = [];
  for await (const item of mergeAsync([
    delayed(['slow1', 'slow2'], 40),
    delayed(['fast1', 'fast2', 'fast3'], 5),
  ])) {
    out.push(item);
  }
  assert.equal(out.length, 5);
  assert.deepEqual(out.slice(0, 3), ['fast1', 'fast2', 'fast3']);
  assert.deepEqual(new Set(out), new Set(['slow1', 'slow2', 'fast1', 'fast2', 'fast3']));
});

test('breaking out of the merge closes every source', async () => {
  let closed = 0;
  async function* source(name: string): AsyncGenerator<string> {
    try {
      for (let i = 0; ; i++) {
        await sleep(1);
        yield `${name}${i}`;
      }
    } finally {
      closed++;
    }
  }
  for await (const item of mergeAsync([source('a'), source('b')])) {
    if (item === 'a3') break;
  }
  assert.equal(closed, 2);
});

test('an empty list of sources ends at once', async () => {
  const out: string[] = [];
  for await (const item of mergeAsync<string>([])) out.push(item);
  assert.deepEqual(out, []);
});
