import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, nowSec, randomWord, signEvent } from '@nrelay/testkit';
import { connectRelay } from '../harness/nostr.js';
import { idSet, publishAll, type SuiteContext, T, withClient } from './context.js';

/** NIP-45 COUNT and NIP-50 search. */
export function countSearchTests(ctx: SuiteContext): void {
  describe('NIP-45 COUNT', () => {
    it('answers ["COUNT", sub, {"count": n}] for the matching stored events', T, async () => {
      const keys = newKeys();
      const events = [1, 2, 3].map((i) => signEvent(keys, { created_at: nowSec() - i }));
      const other = signEvent(keys, { kind: 7 });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [...events, other]);
        const from = c.mark();
        await c.sendJson(['COUNT', 'cnt', { authors: [keys.pk], kinds: [1] }]);
        const f = await c.waitFor((m) => (m[0] === 'COUNT' || m[0] === 'CLOSED') && m[1] === 'cnt', {
          from,
          what: 'COUNT reply',
        });
        assert.equal(f.msg[0], 'COUNT', f.raw);
        assert.equal((f.msg[2] as { count?: unknown }).count, 3, f.raw);
        await c.sendJson([
          'COUNT',
          'cnt2',
          { authors: [keys.pk], kinds: [1] },
          { authors: [keys.pk], kinds: [7] },
        ]);
        const two = await c.waitFor((m) => m[1] === 'cnt2', { from, what: 'COUNT reply for 2 filters' });
        assert.equal((two.msg[2] as { count?: unknown }).count, 4, `filters are OR-ed: ${two.raw}`);
      });
    });

    it('nostr-tools count() gets 0 for an author with no events', T, async () => {
      const relay = await connectRelay(ctx.relay.url);
      try {
        assert.equal(await relay.count([{ authors: [newKeys().pk] }], {}), 0);
      } finally {
        relay.close();
      }
    });
  });

  describe('NIP-50 search', () => {
    it('finds events whose content has the word, and not others', T, async () => {
      const keys = newKeys();
      const word = randomWord();
      const hit1 = signEvent(keys, { content: `the ${word} sings at night` });
      const hit2 = signEvent(keys, { content: `${word}!` });
      const miss = signEvent(keys, { content: 'nothing of interest here' });
      const otherWord = signEvent(keys, { content: `${randomWord()} only` });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [hit1, hit2, miss, otherWord]);
        const r = await c.query([{ search: word }]);
        assert.equal(r.end, 'EOSE', r.reason);
        assert.deepEqual(idSet(r.events), idSet([hit1, hit2]));
        const scoped = await c.query([{ search: word, authors: [newKeys().pk] }]);
        assert.equal(scoped.events.length, 0, 'search must combine with the other filter fields');
      });
    });
  });
}
