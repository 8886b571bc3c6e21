import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawClient } from '@nrelay/testkit';
import { type Keys, newKeys, nowSec, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { assertAccepted, idSet, idsOf, publishAll, type SuiteContext, T, withClient } from './context.js';

/** Two events of one key, kind and created_at, ordered by id: [lower, higher]. */
function sameSecondPair(
  keys: Keys,
  kind: number,
  tags: string[][],
  createdAt: number,
): [NostrEvent, NostrEvent] {
  const x = signEvent(keys, { kind, tags, created_at: createdAt, content: 'x' });
  const y = signEvent(keys, { kind, tags, created_at: createdAt, content: 'y' });
  return x.id < y.id ? [x, y] : [y, x];
}

/** Submits (the relay may refuse or accept it) without asserting the answer. */
async function submit(c: RawClient, e: NostrEvent): Promise<void> {
  await c.publish(e);
}

/** NIP-01 replaceable, addressable and ephemeral kinds. */
export function replaceableTests(ctx: SuiteContext): void {
  describe('NIP-01 replaceable, addressable and ephemeral kinds', () => {
    for (const kind of [0, 3, 10002]) {
      it(`kind ${kind}: only the newest version is returned, an older one sent later is not`, T, async () => {
        const keys = newKeys();
        const t = nowSec() - 100;
        const older = signEvent(keys, { kind, created_at: t - 10 });
        const newer = signEvent(keys, { kind, created_at: t });
        const oldest = signEvent(keys, { kind, created_at: t - 20 });
        await withClient(ctx.relay.url, async (c) => {
          await publishAll(c, [older, newer]);
          const r = await c.query([{ authors: [keys.pk], kinds: [kind] }]);
          assert.deepEqual(idsOf(r.events), [newer.id]);
          await submit(c, oldest);
          const again = await c.query([{ authors: [keys.pk], kinds: [kind] }]);
          assert.deepEqual(idsOf(again.events), [newer.id]);
          const byId = await c.query([{ ids: [older.id, oldest.id] }]);
          assert.equal(byId.events.length, 0, 'a replaced version is still returned by id');
        });
      });
    }

    it('replaceable with equal created_at: the lowest id wins, whichever arrives first', T, async () => {
      const t = nowSec() - 50;
      await withClient(ctx.relay.url, async (c) => {
        const k1 = newKeys();
        const [low1, high1] = sameSecondPair(k1, 0, [], t);
        await submit(c, low1);
        await submit(c, high1);
        const r1 = await c.query([{ authors: [k1.pk], kinds: [0] }]);
        assert.deepEqual(idsOf(r1.events), [low1.id], 'lower id first, higher id second');
        const k2 = newKeys();
        const [low2, high2] = sameSecondPair(k2, 10002, [], t);
        await submit(c, high2);
        await submit(c, low2);
        const r2 = await c.query([{ authors: [k2.pk], kinds: [10002] }]);
        assert.deepEqual(idsOf(r2.events), [low2.id], 'higher id first, lower id second');
      });
    });

    it('addressable: newest per d tag, other d tags kept, older sent later not returned', T, async () => {
      const keys = newKeys();
      const t = nowSec() - 100;
      const a1 = signEvent(keys, { kind: 30023, tags: [['d', 'alpha']], created_at: t - 10 });
      const a2 = signEvent(keys, { kind: 30023, tags: [['d', 'alpha']], created_at: t });
      const b1 = signEvent(keys, { kind: 30023, tags: [['d', 'beta']], created_at: t - 30 });
      const a0 = signEvent(keys, { kind: 30023, tags: [['d', 'alpha']], created_at: t - 20 });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [a1, a2, b1]);
        const r = await c.query([{ authors: [keys.pk], kinds: [30023] }]);
        assert.deepEqual(idSet(r.events), idSet([a2, b1]));
        await submit(c, a0);
        const alpha = await c.query([{ authors: [keys.pk], kinds: [30023], '#d': ['alpha'] }]);
        assert.deepEqual(idsOf(alpha.events), [a2.id]);
      });
    });

    it('addressable with equal created_at: the lowest id wins', T, async () => {
      const keys = newKeys();
      const [low, high] = sameSecondPair(keys, 30000, [['d', 'same']], nowSec() - 40);
      await withClient(ctx.relay.url, async (c) => {
        await submit(c, high);
        await submit(c, low);
        const r = await c.query([{ authors: [keys.pk], kinds: [30000] }]);
        assert.deepEqual(idsOf(r.events), [low.id]);
      });
    });

    it('regular kinds are not replaced', T, async () => {
      const keys = newKeys();
      const events = [signEvent(keys, { kind: 1, created_at: nowSec() - 2 }), signEvent(keys, { kind: 1 })];
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, events);
        const r = await c.query([{ authors: [keys.pk] }]);
        assert.deepEqual(idSet(r.events), idSet(events));
      });
    });

    it('ephemeral: OK true, delivered live, never returned by a later REQ', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys, { kind: 20001, content: 'ephemeral' });
      await withClient(ctx.relay.url, async (s) => {
        await s.query([{ authors: [keys.pk] }], { subId: 'eph', keepOpen: true });
        const from = s.mark();
        await withClient(ctx.relay.url, async (p) =>
          assertAccepted(await p.publish(event), 'ephemeral publish'),
        );
        await s.nextEvent('eph', event.id, from);
        const later = await s.query([{ authors: [keys.pk] }, { ids: [event.id] }]);
        assert.equal(later.end, 'EOSE');
        assert.equal(later.events.length, 0, 'ephemeral event was stored');
      });
    });
  });
}
