import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { matchFilter as ntMatchFilter } from 'nostr-tools/filter';
import { filterTagEntries, matchFilter, matchFilters, matchSearch } from './filter.js';
import type { Filter, NostrEvent } from './types.js';

const hex = (c: string) => c.repeat(64);
const event: NostrEvent = {
  id: hex('1'),
  pubkey: hex('a'),
  created_at: 1000,
  kind: 1,
  tags: [['e', hex('2')], ['p', hex('3')], ['t', 'Nostr'], ['d']],
  content: 'Hello Nostr World',
  sig: hex('f') + hex('f'),
};

describe('matchFilter', () => {
  it('matches ids, authors and kinds exactly, OR within a list', () => {
    assert.ok(matchFilter({ ids: [hex('0'), hex('1')] }, event));
    assert.ok(!matchFilter({ ids: [hex('0')] }, event));
    assert.ok(!matchFilter({ ids: [hex('1').slice(0, 10)] }, event), 'no prefix matching');
    assert.ok(matchFilter({ authors: [hex('a')] }, event));
    assert.ok(!matchFilter({ authors: [hex('b')] }, event));
    assert.ok(matchFilter({ kinds: [0, 1] }, event));
    assert.ok(!matchFilter({ kinds: [0] }, event));
  });

  it('ANDs fields', () => {
    assert.ok(matchFilter({ kinds: [1], authors: [hex('a')], '#t': ['Nostr'] }, event));
    assert.ok(!matchFilter({ kinds: [1], authors: [hex('b')] }, event));
    assert.ok(!matchFilter({ kinds: [1], '#e': [hex('9')] }, event));
  });

  it('matches tags by name and first value only', () => {
    assert.ok(matchFilter({ '#e': [hex('2')] }, event));
    assert.ok(!matchFilter({ '#e': [hex('3')] }, event), '#e must never match a p tag');
    assert.ok(matchFilter({ '#p': [hex('3')] }, event));
    assert.ok(!matchFilter({ '#t': ['nostr'] }, event), 'tag values are case-sensitive');
    assert.ok(!matchFilter({ '#T': ['Nostr'] }, event), 'tag names are case-sensitive');
    assert.ok(!matchFilter({ '#d': [''] }, event), 'a tag without a value matches nothing');
  });

  it('treats since and until as inclusive and ignores limit', () => {
    assert.ok(matchFilter({ since: 1000, until: 1000 }, event));
    assert.ok(!matchFilter({ since: 1001 }, event));
    assert.ok(!matchFilter({ until: 999 }, event));
    assert.ok(matchFilter({ limit: 0 }, event));
  });

  it('matches nothing on empty lists and everything on an empty filter', () => {
    for (const field of ['ids', 'authors', 'kinds', '#e'])
      assert.ok(!matchFilter({ [field]: [] }, event), field);
    assert.ok(matchFilter({}, event));
  });

  it('matches search terms as case-insensitive substrings, ignoring NIP-50 extensions', () => {
    assert.ok(matchFilter({ search: 'hello world' }, event));
    assert.ok(matchFilter({ search: '  NOSTR   hel ' }, event));
    assert.ok(!matchFilter({ search: 'hello mars' }, event));
    assert.ok(matchFilter({ search: 'hello language:en include:spam' }, event));
    assert.ok(!matchSearch('http://x', 'http'));
    assert.ok(matchSearch('', 'anything'));
  });
});

describe('matchFilters and filterTagEntries', () => {
  it('ORs filters', () => {
    assert.ok(matchFilters([{ kinds: [7] }, { authors: [hex('a')] }], event));
    assert.ok(!matchFilters([{ kinds: [7] }, { authors: [hex('b')] }], event));
    assert.ok(!matchFilters([], event));
  });

  it('lists tag conditions', () => {
    const filter: Filter = { kinds: [1], '#e': ['x'], '#P': ['y', 'z'] };
    assert.deepEqual(filterTagEntries(filter), [
      ['e', ['x']],
      ['P', ['y', 'z']],
    ]);
    assert.deepEqual(filterTagEntries({ kinds: [1] }), []);
  });
});

// Differential test against nostr-tools. Small pools make matches likely. nostr-tools treats
// `until: 0` as absent, so `until` is generated from 1 up; both ignore limit.
const ids = fc.constantFrom(hex('1'), hex('2'), hex('3'));
const keys = fc.constantFrom(hex('a'), hex('b'), hex('c'));
const kind = fc.constantFrom(0, 1, 7, 30023);
const time = fc.integer({ min: 0, max: 20 });
const letter = fc.constantFrom('e', 'p', 't', 'E');
const value = fc.constantFrom('x', 'y', 'z', '');
const tag = fc
  .tuple(letter, value, fc.constantFrom(undefined, 'x'))
  .map(([l, v, w]) => (w ? [l, v, w] : [l, v]));
const eventArb = fc.record({
  id: ids,
  pubkey: keys,
  created_at: time,
  kind,
  tags: fc.array(
    fc.oneof(
      tag,
      letter.map((l) => [l]),
    ),
    { maxLength: 4 },
  ),
  content: fc.constant(''),
  sig: fc.constant(hex('f') + hex('f')),
});
const filterFields = {
  ids: fc.array(ids, { maxLength: 2 }),
  authors: fc.array(keys, { maxLength: 2 }),
  kinds: fc.array(kind, { maxLength: 3 }),
  since: time,
  until: fc.integer({ min: 1, max: 20 }),
  limit: fc.nat(5),
  '#e': fc.array(value, { maxLength: 3 }),
  '#p': fc.array(value, { maxLength: 3 }),
  '#t': fc.array(value, { maxLength: 3 }),
  '#E': fc.array(value, { maxLength: 3 }),
};
// Up to three fields per filter, so that a fair share of random pairs match.
const filterArb = fc
  .tuple(fc.record(filterFields), fc.subarray(Object.keys(filterFields), { maxLength: 3 }))
  .map(([all, chosen]) => {
    const filter: Record<string, unknown> = {};
    for (const key of chosen) filter[key] = all[key as keyof typeof all];
    return filter as Filter;
  });

describe('matchFilter agrees with nostr-tools', () => {
  it('on random events and filters', () => {
    const outcomes = { true: 0, false: 0 };
    fc.assert(
      fc.property(filterArb, eventArb, (filter, e) => {
        const ours = matchFilter(filter, e);
        outcomes[`${ours}`]++;
        assert.equal(ours, ntMatchFilter(filter, e));
      }),
      { numRuns: 3000 },
    );
    assert.ok(outcomes.true > 50 && outcomes.false > 50, JSON.stringify(outcomes));
  });
});
