import assert from 'node:assert/strict';
import { it } from 'node:test';
import { replaceableKey } from '@nrelay/protocol';
import { indexKey } from './index-key.js';
import { addressString, prepareEvent } from './prepare.js';
import { ev, hex } from './testing/events.js';

it('builds replace keys exactly like replaceableKey of @nrelay/protocol', () => {
  for (const [kind, tags] of [
    [0, []],
    [3, [['d', 'ignored']]],
    [10002, []],
    [30023, [['d', 'slug']]],
    [30023, []],
    [1, []],
  ] as Array<[number, string[][]]>) {
    const { event } = ev({ kind, tags, pubkey: hex(1) });
    const d = event.tags.find((t) => t[0] === 'd')?.[1] ?? '';
    assert.equal(
      addressString(kind, event.pubkey, kind >= 30000 ? d : ''),
      replaceableKey(event),
      `kind ${kind}`,
    );
  }
});

it('prepares rows: tags by letter, deduplicated, keyed; search text; path', () => {
  const long = 'z'.repeat(400);
  const p = prepareEvent(
    ev({
      kind: 30023,
      content: 'a\u0000b',
      tags: [['d', long], ['t', 'x'], ['t', 'x'], ['title', 'ignored'], ['e'], ['expiration', '123']],
    }),
  );
  assert.ok(!('invalid' in p));
  assert.deepEqual(p.tags, [
    { name: 'd', key: indexKey(long) },
    { name: 't', key: 'x' },
  ]);
  assert.equal(p.searchText, 'ab');
  assert.equal(p.expiresAt, 123);
  assert.equal(p.dKey, indexKey(long));
  assert.equal(p.path, 'replaceable');
  assert.equal(p.replaceKey, indexKey(`30023:${p.pubkey}:${long}`));
  assert.deepEqual(prepareEvent(ev({ kind: 20000 })), { invalid: 'ephemeral events are not stored' });
  const deletion = prepareEvent(ev({ kind: 5 }));
  assert.ok(!('invalid' in deletion) && deletion.path === 'deletion');
});

it('gives a search text only to the searchable kinds (SEARCH_KINDS)', () => {
  const notesOnly = new Set([1]);
  const note = prepareEvent(ev({ kind: 1, content: 'hello world' }), notesOnly);
  const reaction = prepareEvent(ev({ kind: 7, content: 'hello world' }), notesOnly);
  assert.ok(!('invalid' in note) && !('invalid' in reaction));
  assert.equal(note.searchText, 'hello world');
  assert.equal(reaction.searchText, null);
  const all = prepareEvent(ev({ kind: 7, content: 'hello world' }), 'all');
  assert.ok(!('invalid' in all));
  assert.equal(all.searchText, 'hello world');
});
