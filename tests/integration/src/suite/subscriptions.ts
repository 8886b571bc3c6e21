import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, nowSec, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import { connectRelay } from '../harness/nostr.js';
import { assertAccepted, idSet, idsOf, publishAll, type SuiteContext, T, withClient } from './context.js';

/** Live delivery, CLOSE, sub id replacement, OR-ed filters, limits and ordering. */
export function subscriptionTests(ctx: SuiteContext): void {
  describe('NIP-01 subscriptions', () => {
    it('delivers a later matching event live to an open subscription (nostr-tools)', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys);
      const relay = await connectRelay(ctx.relay.url);
      let timer: NodeJS.Timeout | undefined;
      try {
        let eosed!: () => void;
        let arrived!: (id: string) => void;
        const eose = new Promise<void>((resolve) => {
          eosed = resolve;
        });
        const live = new Promise<string>((resolve, reject) => {
          arrived = resolve;
          timer = setTimeout(() => reject(new Error('live event not delivered within 5 s')), 5000);
        });
        live.catch(() => {}); // awaited below; this only keeps an early timeout from being "unhandled"
        const sub = relay.subscribe([{ authors: [keys.pk] }], {
          oneose: eosed,
          onevent: (e) => arrived(e.id),
        });
        await eose;
        await withClient(ctx.relay.url, async (p) => assertAccepted(await p.publish(event), 'publish'));
        assert.equal(await live, event.id);
        sub.close();
      } finally {
        clearTimeout(timer);
        relay.close();
      }
    });

    it('live EVENT frames carry the sub id and the exact event text', T, async () => {
      const keys = newKeys();
      await withClient(ctx.relay.url, async (s) => {
        const r = await s.query([{ authors: [keys.pk] }], { subId: 'live', keepOpen: true });
        assert.equal(r.end, 'EOSE');
        assert.equal(r.events.length, 0);
        const from = s.mark();
        const event = signEvent(keys, { content: 'live "text" \u{1f680}' });
        await withClient(ctx.relay.url, async (p) => assertAccepted(await p.publish(event), 'publish'));
        const f = await s.nextEvent('live', event.id, from);
        assert.equal(f.raw.slice(f.raw.indexOf('{'), f.raw.lastIndexOf('}') + 1), JSON.stringify(event));
      });
    });

    it('stops delivering after CLOSE', T, async () => {
      const keys = newKeys();
      await withClient(ctx.relay.url, async (s) => {
        await s.query([{ authors: [keys.pk] }], { subId: 'closed-one', keepOpen: true });
        await s.query([{ authors: [keys.pk] }], { subId: 'sentinel', keepOpen: true });
        await s.sendJson(['CLOSE', 'closed-one']);
        await s.barrier();
        const from = s.mark();
        const event = signEvent(keys);
        await withClient(ctx.relay.url, async (p) => assertAccepted(await p.publish(event), 'publish'));
        await s.nextEvent('sentinel', event.id, from);
        await s.barrier();
        assert.equal(s.eventsOn('closed-one', from).length, 0, 'event delivered on a CLOSEd subscription');
      });
    });

    it('a REQ reusing an open sub id replaces its filters', T, async () => {
      const a = newKeys();
      const b = newKeys();
      const storedB = signEvent(b, { created_at: nowSec() - 10 });
      await withClient(ctx.relay.url, async (s) => {
        assertAccepted(await s.publish(storedB), 'publish stored B');
        await s.query([{ authors: [a.pk] }], { subId: 'reused', keepOpen: true });
        const replaced = await s.query([{ authors: [b.pk] }], { subId: 'reused', keepOpen: true });
        assert.equal(replaced.end, 'EOSE');
        assert.deepEqual(
          idsOf(replaced.events),
          [storedB.id],
          'the replacing REQ returns its own stored events',
        );
        await s.query([{ authors: [a.pk] }], { subId: 'sentinel-a', keepOpen: true });
        const from = s.mark();
        const liveA = signEvent(a);
        const liveB = signEvent(b);
        await withClient(ctx.relay.url, async (p) => publishAll(p, [liveA, liveB]));
        await s.nextEvent('sentinel-a', liveA.id, from);
        await s.nextEvent('reused', liveB.id, from);
        assert.equal(s.eventsOn('reused', from, liveA.id).length, 0, 'old filter still delivered');
      });
    });

    it('OR-s the filters of one REQ and sends an event matching several only once', T, async () => {
      const keys = newKeys();
      const tag = randomWord();
      const both = signEvent(keys, { tags: [['t', tag]], created_at: nowSec() - 5 });
      const onlyTag = signEvent(newKeys(), { tags: [['t', tag]], created_at: nowSec() - 6 });
      const onlyAuthor = signEvent(keys, { created_at: nowSec() - 7 });
      await withClient(ctx.relay.url, async (s) => {
        await publishAll(s, [both, onlyTag, onlyAuthor]);
        const filters = [{ authors: [keys.pk] }, { '#t': [tag] }, { ids: [both.id] }];
        const r = await s.query(filters, { subId: 'or', keepOpen: true });
        assert.deepEqual(idSet(r.events), idSet([both, onlyTag, onlyAuthor]));
        const from = s.mark();
        const liveBoth = signEvent(keys, { tags: [['t', tag]] });
        const after = signEvent(keys, { tags: [['t', tag]], content: 'sentinel' });
        await withClient(ctx.relay.url, async (p) => publishAll(p, [liveBoth, after]));
        await s.nextEvent('or', after.id, from);
        await s.barrier();
        assert.equal(
          s.eventsOn('or', from, liveBoth.id).length,
          1,
          'live event matching 2 filters not sent once',
        );
      });
    });

    it('applies limit per filter and returns newest first', T, async () => {
      const a = newKeys();
      const b = newKeys();
      const base = nowSec() - 100;
      const offsets = [30, 10, 50, 20, 40];
      const evA = offsets.map((o) => signEvent(a, { created_at: base + o }));
      const evB = offsets.map((o) => signEvent(b, { created_at: base + o }));
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [...evA, ...evB]);
        const r = await c.query([
          { authors: [a.pk], limit: 2 },
          { authors: [b.pk], limit: 3 },
        ]);
        const gotA = r.events.filter((e) => e.pubkey === a.pk).map((e) => e.created_at);
        const gotB = r.events.filter((e) => e.pubkey === b.pk).map((e) => e.created_at);
        assert.deepEqual(gotA.sort(), [base + 40, base + 50]);
        assert.deepEqual(gotB.sort(), [base + 30, base + 40, base + 50]);
        const all = await c.query([{ authors: [a.pk] }]);
        assert.deepEqual(
          all.events.map((e) => e.created_at),
          [50, 40, 30, 20, 10].map((o) => base + o),
          'stored events not newest first',
        );
        const one = await c.query([{ authors: [a.pk], limit: 1 }]);
        assert.deepEqual(idsOf(one.events), [evA[2]!.id]);
      });
    });

    it('keeps subscriptions of different connections apart', T, async () => {
      const keys = newKeys();
      const s1 = await RawClient.open(ctx.relay.url);
      const s2 = await RawClient.open(ctx.relay.url);
      try {
        await s1.query([{ authors: [keys.pk] }], { subId: 'same', keepOpen: true });
        await s2.query([{ authors: [keys.pk] }], { subId: 'same', keepOpen: true });
        await s2.sendJson(['CLOSE', 'same']);
        await s2.barrier();
        const from1 = s1.mark();
        const event = signEvent(keys);
        await withClient(ctx.relay.url, async (p) => assertAccepted(await p.publish(event), 'publish'));
        await s1.nextEvent('same', event.id, from1);
      } finally {
        s1.close();
        s2.close();
      }
    });
  });
}
