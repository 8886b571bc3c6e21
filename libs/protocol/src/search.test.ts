import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PARSE_LIMITS } from './limits.js';
import { parseClientMessage } from './parse.js';
import { checkSearch, searchTermCount } from './search.js';

test('searchTermCount counts runs of letters and digits, skipping NIP-50 extensions', () => {
  assert.equal(searchTermCount(''), 0);
  assert.equal(searchTermCount('  hello   world '), 2);
  assert.equal(searchTermCount('a-b a.b a,b'), 6);
  assert.equal(searchTermCount('"quoted phrase" -not or other OR more'), 5);
  assert.equal(searchTermCount('café 東京 42'), 3);
  assert.equal(searchTermCount('nostr include:spam language:en'), 1);
  assert.equal(searchTermCount('!!! ---'), 0);
});

test('checkSearch refuses a search over either bound with invalid: search ...', () => {
  const limits = { maxSearchLength: 20, maxSearchTerms: 3 };
  assert.equal(checkSearch('one two three', limits), undefined);
  assert.match(checkSearch('one two three four', limits)?.reason ?? '', /^invalid: search has 4 terms/);
  assert.match(checkSearch('x'.repeat(21), limits)?.reason ?? '', /^invalid: search longer than 20/);
  assert.match(checkSearch('a,b,c,d', limits)?.reason ?? '', /^invalid: search has 4 terms/);
});

test('a REQ or COUNT with a search over the limits is refused with its subscription id', () => {
  const huge = Array(12_000).fill('word').join(' ');
  for (const verb of ['REQ', 'COUNT']) {
    const result = parseClientMessage(JSON.stringify([verb, 's1', { kinds: [1] }, { search: huge }]));
    assert.equal(result.ok, false);
    if (result.ok) continue;
    assert.equal(result.error.code, 'E_SEARCH_TOO_LONG');
    assert.equal(result.error.subId, 's1');
    assert.match(result.error.reason, /^invalid: search longer than 256 characters/);
  }
  const many = Array(17).fill('w').join(' ');
  const tooMany = parseClientMessage(JSON.stringify(['REQ', 's2', { search: many }]));
  assert.equal(tooMany.ok, false);
  const ok = parseClientMessage(JSON.stringify(['REQ', 's3', { search: Array(16).fill('w').join(' ') }]));
  assert.equal(ok.ok, true);
  const loose = parseClientMessage(JSON.stringify(['REQ', 's4', { search: many }]), {
    ...DEFAULT_PARSE_LIMITS,
    maxSearchTerms: 17,
  });
  assert.equal(loose.ok, true);
});
