import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mergeAsync } from './merge.js';

test('items are yielded as soon as any source produces them', async () => {
  // The slow source yields only when released, after the fast one has produced everything:
  // a merge that waited for sources in order would deadlock here instead of finishing.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* slow(): AsyncGenerator<string> {
    await gate;
    yield 'slow1';
    yield 'slow2';
  }
  async function* fast(): AsyncGenerator<string> {
    for (const item of ['fast1', 'fast2', 'fast3']) {
      await sleep(1);
      yield item;
    }
  }
  const out: string[] = [];
  for await (const item of mergeAsync([slow(), fast()])) {
    out.push(item);
    if (item === 'fast3') release();
  }
  assert.deepEqual(out, ['fast1', 'fast2', 'fast3', 'slow1', 'slow2']);
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
