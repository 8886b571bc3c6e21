import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chooseDrive, forViewer, normalizeFilter, searchText } from './filter-plan.js';
import { indexKey } from './index-key.js';

it('normalizes filters and picks the driving index', () => {
  const long = 'v'.repeat(300);
  const f = normalizeFilter({ authors: ['a', 'a'], '#e': ['x', 'y', 'x'], '#p': [long], kinds: [1, 1] });
  assert.deepEqual(f.authors, ['a']);
  assert.deepEqual(f.kinds, [1]);
  assert.deepEqual(f.tags, [
    { name: 'e', keys: ['x', 'y'] },
    { name: 'p', keys: [indexKey(long)] },
  ]);
  assert.equal(f.matchesNothing, false);
  assert.deepEqual(chooseDrive(f), { by: 'tag', tag: { name: 'p', keys: [indexKey(long)] } });
  assert.deepEqual(chooseDrive(normalizeFilter({ ids: ['a'], '#e': ['x'] })), { by: 'ids' });
  assert.deepEqual(chooseDrive(normalizeFilter({ ids: ['a'], search: 'x' })), { by: 'search' });
  assert.deepEqual(chooseDrive(normalizeFilter({ authors: ['a'], kinds: [1] })), { by: 'authors' });
  assert.deepEqual(chooseDrive(normalizeFilter({ authors: ['a'], '#t': ['x'] })), { by: 'authors' });
  assert.deepEqual(chooseDrive(normalizeFilter({ authors: ['a'], '#d': ['x'], '#e': ['y'] })), {
    by: 'tag',
    tag: { name: 'e', keys: ['y'] },
  });
  assert.deepEqual(chooseDrive(normalizeFilter({ '#t': ['x'] })), {
    by: 'tag',
    tag: { name: 't', keys: ['x'] },
  });
  assert.deepEqual(chooseDrive(normalizeFilter({ kinds: [1] })), { by: 'kinds' });
  assert.deepEqual(chooseDrive(normalizeFilter({ since: 1 })), { by: 'time' });
});

it('knows which filters match nothing', () => {
  for (const filter of [{ ids: [] }, { '#t': [] }, { '#tt': ['x'] }, { since: 2, until: 1 }]) {
    assert.equal(normalizeFilter(filter).matchesNothing, true, JSON.stringify(filter));
  }
  assert.equal(normalizeFilter({ since: 1, until: 1 }).matchesNothing, false);
});

it('strips NIP-50 extensions from search but keeps URLs', () => {
  assert.equal(searchText('best nostr include:spam language:en apps'), 'best nostr apps');
  assert.equal(searchText('see https://example.com now'), 'see https://example.com now');
  assert.equal(searchText('foo:bar NSFW:true'), 'foo:bar');
  assert.equal(searchText('include:spam'), '');
  assert.equal(normalizeFilter({ search: 'nsfw:true' }).search, undefined);
});

it('an anonymous viewer runs the filter without privileged kinds', () => {
  const privilegedKinds = [4, 1059];
  const anonymous = { pubkeys: [], privilegedKinds };
  const f = normalizeFilter({ kinds: [1, 4, 7] });
  assert.deepEqual(forViewer(f, anonymous).kinds, [1, 7]);
  assert.equal(forViewer(normalizeFilter({ kinds: [4, 1059] }), anonymous).matchesNothing, true);
  // Unchanged: no viewer, an authenticated one, no kinds, no privileged kind named.
  assert.equal(forViewer(f, undefined), f);
  assert.equal(forViewer(f, { pubkeys: ['a'], privilegedKinds }), f);
  const any = normalizeFilter({ authors: ['a'] });
  assert.equal(forViewer(any, anonymous), any);
  const ordinary = normalizeFilter({ kinds: [1] });
  assert.equal(forViewer(ordinary, anonymous), ordinary);
});
