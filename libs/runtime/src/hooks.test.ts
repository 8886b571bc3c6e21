import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  firstRejection,
  firstRejectionOfEach,
  HOOK_FAILED_REASON,
  type HookLogger,
  prefixedReason,
  type RejectHook,
} from './hooks.js';

function recording(): HookLogger & { errors: object[] } {
  const errors: object[] = [];
  return { errors, error: (obj) => errors.push(obj) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('firstRejection', () => {
  it('an empty list answers undefined synchronously', () => {
    assert.equal(firstRejection([], 1, 2), undefined);
  });

  it('synchronous hooks answer synchronously; the first reason wins and stops the rest', () => {
    const calls: string[] = [];
    const hooks: RejectHook<number, string>[] = [
      () => {
        calls.push('a');
        return undefined;
      },
      (n) => {
        calls.push('b');
        return n > 1 ? 'rate-limited: slow down' : undefined;
      },
      () => {
        calls.push('c');
        return 'never';
      },
    ];
    assert.equal(firstRejection(hooks, 2, 'x'), 'rate-limited: slow down');
    assert.deepEqual(calls, ['a', 'b']);
  });

  it('reasons without a NIP-01 prefix are marked blocked:', () => {
    assert.equal(firstRejection([() => 'go away'], 0, 0), 'blocked: go away');
    assert.equal(prefixedReason('restricted: no'), 'restricted: no');
  });

  it('only strings refuse: null and other values from JS hooks let the input through', () => {
    const loose = [() => null, () => false, () => 0] as unknown as RejectHook<number, number>[];
    assert.equal(firstRejection(loose, 0, 0), undefined);
  });

  it('becomes a promise at the first async hook and keeps the order of the rest', async () => {
    const calls: string[] = [];
    const hooks: RejectHook<number, number>[] = [
      () => {
        calls.push('sync');
        return undefined;
      },
      async () => {
        await tick();
        calls.push('async');
        return undefined;
      },
      () => {
        calls.push('after');
        return undefined;
      },
      async () => {
        calls.push('last');
        return 'auth-required: sign in';
      },
    ];
    const verdict = firstRejection(hooks, 0, 0);
    assert.ok(verdict instanceof Promise);
    assert.deepEqual(calls, ['sync'], 'later hooks wait for the async one');
    assert.equal(await verdict, 'auth-required: sign in');
    assert.deepEqual(calls, ['sync', 'async', 'after', 'last']);
  });

  it('an async undefined lets the input through', async () => {
    assert.equal(await firstRejection([async () => undefined, () => undefined], 0, 0), undefined);
  });

  it('a throwing or rejecting hook refuses with error: and is logged (logger given)', async () => {
    const logger = recording();
    const boom = () => {
      throw new Error('boom');
    };
    assert.equal(firstRejection([boom], 0, 0, logger), HOOK_FAILED_REASON);
    assert.equal(
      await firstRejection([async () => Promise.reject(new Error('later'))], 0, 0, logger),
      HOOK_FAILED_REASON,
    );
    assert.equal(await firstRejection([async () => undefined, boom], 0, 0, logger), HOOK_FAILED_REASON);
    assert.equal(logger.errors.length, 3);
  });

  it('without a logger a failing hook propagates, as before', async () => {
    assert.throws(() =>
      firstRejection(
        [
          () => {
            throw new Error('boom');
          },
        ],
        0,
        0,
      ),
    );
    await assert.rejects(Promise.resolve(firstRejection([async () => Promise.reject(new Error('x'))], 0, 0)));
  });
});

describe('firstRejectionOfEach', () => {
  it('runs the hooks over each item in order; sync stays sync', () => {
    const seen: number[] = [];
    const hooks: RejectHook<number, null>[] = [
      (n) => {
        seen.push(n);
        return n === 3 ? 'invalid: three' : undefined;
      },
    ];
    assert.equal(firstRejectionOfEach(hooks, [1, 2, 3, 4], null), 'invalid: three');
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(firstRejectionOfEach(hooks, [], null), undefined);
  });

  it('continues over the remaining items after an async verdict', async () => {
    const seen: number[] = [];
    const hooks: RejectHook<number, null>[] = [
      (n) => {
        seen.push(n);
        if (n === 1) return Promise.resolve(undefined);
        return n === 3 ? Promise.resolve('restricted: three') : undefined;
      },
    ];
    assert.equal(await firstRejectionOfEach(hooks, [0, 1, 2, 3, 4], null), 'restricted: three');
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });
});
