import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countKey, SharedCounts } from './shared-counts.js';

const never = () => new AbortController().signal;

function deferred() {
  let resolve!: (n: number) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('2,000 identical COUNTs in flight cost one count', async () => {
  const counts = new SharedCounts(1000);
  let runs = 0;
  const answer = deferred();
  const run = () => {
    runs++;
    return answer.promise;
  };
  const all = Array.from({ length: 2000 }, () => counts.count('k', never(), run));
  answer.resolve(42);
  assert.deepEqual(new Set(await Promise.all(all)), new Set([42]));
  assert.equal(runs, 1);
});

test('the answer is kept for cacheMs, then counted again; different keys count apart', async () => {
  let now = 0;
  const counts = new SharedCounts(1000, () => now);
  let runs = 0;
  const run = async () => ++runs;
  assert.equal(await counts.count('a', never(), run), 1);
  now = 999;
  assert.equal(await counts.count('a', never(), run), 1, 'kept');
  assert.equal(await counts.count('b', never(), run), 2, 'another key');
  now = 1000;
  assert.equal(await counts.count('a', never(), run), 3, 'expired');
});

test('cacheMs 0 shares in flight only; a failure is not kept', async () => {
  const counts = new SharedCounts(0);
  let runs = 0;
  assert.equal(await counts.count('a', never(), async () => ++runs), 1);
  assert.equal(await counts.count('a', never(), async () => ++runs), 2);
  const failing = new SharedCounts(1000);
  await assert.rejects(
    failing.count('a', never(), async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await failing.count('a', never(), async () => 7), 7);
});

test('one waiter leaving does not fail the others; the last one leaving aborts the count', async () => {
  const counts = new SharedCounts(1000);
  const answer = deferred();
  let runSignal: AbortSignal | undefined;
  const run = (signal: AbortSignal) => {
    runSignal = signal;
    return answer.promise;
  };
  const first = new AbortController();
  const second = new AbortController();
  const a = counts.count('k', first.signal, run);
  const b = counts.count('k', second.signal, run);
  first.abort(new Error('first went away'));
  await assert.rejects(a, /first went away/);
  assert.equal(runSignal?.aborted, false, 'still counted for the second');
  second.abort(new Error('second went away'));
  await assert.rejects(b, /second went away/);
  assert.equal(runSignal?.aborted, true, 'nobody waits: the count stops');
  assert.equal(counts.size, 0);
  answer.reject(new Error('aborted'));
});

test('the key holds the filters and the sorted viewer', () => {
  assert.equal(countKey([{}], new Set()), countKey([{}], new Set()));
  assert.notEqual(countKey([{}], new Set()), countKey([{}], new Set(['a'])));
  assert.equal(countKey([{}], new Set(['b', 'a'])), countKey([{}], new Set(['a', 'b'])));
  assert.notEqual(countKey([{ kinds: [1] }], new Set()), countKey([{ kinds: [2] }], new Set()));
});
