import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, nowSec, randomHex, randomWord, signEvent } from '@nrelay/testkit';
import { idSet, publishAll, type SuiteContext, T, withClient } from './context.js';

/** Each NIP-01 filter field on stored events. */
export function filterTests(ctx: SuiteContext): void {
  describe('NIP-01 filters', () => {
    it('ids selects exactly the listed events', T, async () => {
      const keys = newKeys();
      const events = [1, 2, 3].map(() => signEvent(keys));
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, events);
        const r = await c.query([{ ids: [events[0]!.id, events[2]!.id, randomHex()] }]);
        assert.deepEqual(idSet(r.events), idSet([events[0]!, events[2]!]));
      });
    });

    it('authors selects events of the listed pubkeys only', T, async () => {
      const a = newKeys();
      const b = newKeys();
      const c3 = newKeys();
      const events = [signEvent(a), signEvent(b), signEvent(c3)];
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, events);
        const r = await c.query([{ authors: [a.pk, c3.pk] }]);
        assert.deepEqual(idSet(r.events), idSet([events[0]!, events[2]!]));
      });
    });

    it('kinds selects events of the listed kinds only', T, async () => {
      const keys = newKeys();
      const events = [1, 7, 1111, 4].map((kind) => signEvent(keys, { kind }));
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, events);
        const r = await c.query([{ authors: [keys.pk], kinds: [7, 1111] }]);
        assert.deepEqual(idSet(r.events), idSet([events[1]!, events[2]!]));
      });
    });

    it('#e, #p and #t match tag values of that letter only', T, async () => {
      const keys = newKeys();
      const ref = randomHex();
      const word = randomWord();
      const eTagged = signEvent(keys, { tags: [['e', ref]] });
      const pTagged = signEvent(keys, { tags: [['p', ref]] });
      const tTagged = signEvent(keys, { tags: [['t', word]] });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [eTagged, pTagged, tTagged]);
        const byE = await c.query([{ '#e': [ref] }]);
        assert.deepEqual(idSet(byE.events), [eTagged.id], '#e must not match a p tag');
        const byP = await c.query([{ '#p': [ref] }]);
        assert.deepEqual(idSet(byP.events), [pTagged.id], '#p must not match an e tag');
        const byT = await c.query([{ '#t': [word, randomWord()] }]);
        assert.deepEqual(idSet(byT.events), [tTagged.id]);
        const combined = await c.query([{ '#e': [ref], authors: [newKeys().pk] }]);
        assert.equal(combined.events.length, 0, 'conditions of one filter must all hold');
      });
    });

    it('since and until bound created_at inclusively', T, async () => {
      const keys = newKeys();
      const t = nowSec() - 1000;
      const [e1, e2, e3] = [t - 10, t, t + 10].map((created_at) => signEvent(keys, { created_at }));
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [e1!, e2!, e3!]);
        const since = await c.query([{ authors: [keys.pk], since: t }]);
        assert.deepEqual(idSet(since.events), idSet([e2!, e3!]));
        const until = await c.query([{ authors: [keys.pk], until: t }]);
        assert.deepEqual(idSet(until.events), idSet([e1!, e2!]));
        const exact = await c.query([{ authors: [keys.pk], since: t, until: t }]);
        assert.deepEqual(idSet(exact.events), [e2!.id]);
        const none = await c.query([{ authors: [keys.pk], since: t + 11 }]);
        assert.equal(none.events.length, 0);
      });
    });

    it('a live subscription applies the same filter rules', T, async () => {
      const keys = newKeys();
      const word = randomWord();
      await withClient(ctx.relay.url, async (s) => {
        const filter = { authors: [keys.pk], kinds: [1], '#t': [word], since: nowSec() - 60 };
        await s.query([filter], { subId: 'live-filter', keepOpen: true });
        const from = s.mark();
        const wrongKind = signEvent(keys, { kind: 7, tags: [['t', word]] });
        const wrongTag = signEvent(keys, { tags: [['e', randomHex()]] });
        const tooOld = signEvent(keys, { tags: [['t', word]], created_at: nowSec() - 600 });
        const match = signEvent(keys, { tags: [['t', word]] });
        await withClient(ctx.relay.url, async (p) => publishAll(p, [wrongKind, wrongTag, tooOld, match]));
        await s.nextEvent('live-filter', match.id, from);
        await s.barrier();
        const got = s
          .eventsOn('live-filter', from)
          .map((f) => (f.msg?.[2] as { id?: string } | undefined)?.id);
        assert.deepEqual(got, [match.id]);
      });
    });
  });
}
