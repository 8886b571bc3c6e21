import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedRaw } from '@nrelay/testkit';
import fc from 'fast-check';
import { rawEventId } from './raw-id.js';

test('rawEventId finds the id whatever the key order and content', () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.array(fc.array(fc.string(), { maxLength: 3 }), { maxLength: 3 }),
      (content, tags) => {
        const { event } = signedRaw({
          content: `"id":"${'a'.repeat(64)}" ${content}`,
          tags: [['id', 'b'.repeat(64)], ...tags],
        });
        const reordered = JSON.stringify({
          content: event.content,
          tags: event.tags,
          sig: event.sig,
          id: event.id,
        });
        assert.equal(rawEventId(JSON.stringify(event)), event.id);
        assert.equal(rawEventId(reordered), event.id);
        assert.equal(rawEventId(JSON.stringify(event, null, 2)), event.id);
      },
    ),
    { numRuns: 50 },
  );
});

test('rawEventId returns undefined for text without a valid id', () => {
  assert.equal(rawEventId('{"id":"nothex"}'), undefined);
  assert.equal(rawEventId('not json'), undefined);
  assert.equal(rawEventId('{}'), undefined);
});
