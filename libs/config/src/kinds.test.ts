import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseKindList, searchKindsOf } from './kinds.js';
import { ConfigError } from './load.js';

it('reads SEARCH_KINDS as a set of kinds, `*` as every kind, and names each bad entry', () => {
  assert.deepEqual(searchKindsOf({ SEARCH_KINDS: ['0', '1', '30023'] }), new Set([0, 1, 30023]));
  assert.equal(searchKindsOf({ SEARCH_KINDS: ['*'] }), 'all');
  assert.throws(
    () => searchKindsOf({ SEARCH_KINDS: ['1', 'notes', '70000'] }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 2 &&
      err.problems.every((p) => p.startsWith('SEARCH_KINDS:')),
  );
});

it('collects every problem of a kind list under the setting name', () => {
  const problems: string[] = [];
  assert.deepEqual(parseKindList('X_KINDS', ['4', '-1', '65535'], problems), new Set([4, 65535]));
  assert.deepEqual(problems, ['X_KINDS: "-1" is not an event kind (0-65535)']);
});
