import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventGenerator, type GeneratorOptions } from './events.js';

const pubkeys = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(64, '0'));
const base: GeneratorOptions = {
  authors: 50,
  pubkeys,
  mix: 'realistic',
  seed: 42,
  now: 1_700_000_000,
  spanSeconds: 3600,
};

test('the same seed gives the same drafts', () => {
  assert.deepEqual(new EventGenerator(base).take(200), new EventGenerator(base).take(200));
  assert.notDeepEqual(new EventGenerator(base).take(50), new EventGenerator({ ...base, seed: 43 }).take(50));
});

test('the realistic mix has every kind, replaceables once per author, unique article addresses', () => {
  const drafts = new EventGenerator(base).take(3000);
  const kinds = new Set(drafts.map((d) => d.kind));
  for (const k of [0, 1, 3, 6, 7, 30023]) assert.ok(kinds.has(k), `kind ${k} missing`);
  for (const kind of [0, 3]) {
    const authors = drafts.filter((d) => d.kind === kind).map((d) => d.keyIndex);
    assert.equal(new Set(authors).size, authors.length, `kind ${kind} repeated for an author`);
  }
  const dTags = drafts.filter((d) => d.kind === 30023).map((d) => d.tags.find((t) => t[0] === 'd')?.[1]);
  assert.equal(new Set(dTags).size, dTags.length);
  for (const d of drafts) {
    assert.ok(d.created_at <= base.now && d.created_at > base.now - 3600);
    assert.ok(d.keyIndex >= 0 && d.keyIndex < 50);
  }
});

test('notes mode, run tag and round-robin authors', () => {
  const drafts = new EventGenerator({
    ...base,
    mix: 'notes',
    runTag: 'run1',
    roundRobin: true,
    spanSeconds: 0,
  }).take(100);
  assert.ok(drafts.every((d) => d.kind === 1 && d.created_at === base.now));
  assert.ok(drafts.every((d) => d.tags.some((t) => t[0] === 't' && t[1] === 'run1')));
  assert.deepEqual(
    drafts.slice(0, 52).map((d) => d.keyIndex),
    Array.from({ length: 52 }, (_, i) => i % 50),
  );
});
