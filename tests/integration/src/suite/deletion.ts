import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newKeys, nowSec, signEvent } from '@nrelay/testkit';
import {
  assertAccepted,
  assertRefused,
  idSet,
  idsOf,
  publishAll,
  type SuiteContext,
  T,
  withClient,
} from './context.js';

/** NIP-09 deletion requests and NIP-40 expiration. */
export function deletionTests(ctx: SuiteContext): void {
  describe('NIP-09 deletion', () => {
    it("kind 5 with an e tag deletes the author's own event; re-sending it is refused", T, async () => {
      const keys = newKeys();
      const target = signEvent(keys, { created_at: nowSec() - 10 });
      const kept = signEvent(keys, { created_at: nowSec() - 9 });
      const deletion = signEvent(keys, {
        kind: 5,
        tags: [
          ['e', target.id],
          ['k', '1'],
        ],
      });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [target, kept, deletion]);
        const r = await c.query([{ authors: [keys.pk] }]);
        assert.deepEqual(
          idSet(r.events),
          idSet([kept, deletion]),
          'deletion request itself is kept, target is gone',
        );
        const resent = await c.publish(target);
        assertRefused(resent, 're-sending a deleted event');
        const byId = await c.query([{ ids: [target.id] }]);
        assert.equal(byId.events.length, 0, 'deleted event returned by id');
      });
    });

    it("kind 5 does not delete another author's event", T, async () => {
      const owner = newKeys();
      const other = newKeys();
      const target = signEvent(owner);
      const deletion = signEvent(other, { kind: 5, tags: [['e', target.id]] });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [target]);
        await c.publish(deletion);
        const r = await c.query([{ ids: [target.id] }]);
        assert.deepEqual(idsOf(r.events), [target.id]);
      });
    });

    it('kind 5 with an a tag deletes addressable versions up to its created_at only', T, async () => {
      const keys = newKeys();
      const t = nowSec() - 100;
      const address = `30023:${keys.pk}:post`;
      const v1 = signEvent(keys, { kind: 30023, tags: [['d', 'post']], created_at: t - 10 });
      const otherD = signEvent(keys, { kind: 30023, tags: [['d', 'other']], created_at: t - 10 });
      const deletion = signEvent(keys, { kind: 5, tags: [['a', address]], created_at: t });
      const stale = signEvent(keys, { kind: 30023, tags: [['d', 'post']], created_at: t - 5 });
      const fresh = signEvent(keys, { kind: 30023, tags: [['d', 'post']], created_at: t + 10 });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [v1, otherD, deletion]);
        const after = await c.query([{ authors: [keys.pk], kinds: [30023] }]);
        assert.deepEqual(idsOf(after.events), [otherD.id], 'a-tag deletion must remove only that address');
        await c.publish(stale);
        const stillGone = await c.query([{ authors: [keys.pk], kinds: [30023], '#d': ['post'] }]);
        assert.equal(stillGone.events.length, 0, 'a version older than the deletion was accepted back');
        assertAccepted(await c.publish(fresh), 'version newer than the deletion');
        const back = await c.query([{ authors: [keys.pk], kinds: [30023], '#d': ['post'] }]);
        assert.deepEqual(idsOf(back.events), [fresh.id]);
      });
    });

    it('a deletion published before its target still suppresses the target', T, async () => {
      const keys = newKeys();
      const target = signEvent(keys);
      const deletion = signEvent(keys, { kind: 5, tags: [['e', target.id]] });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [deletion]);
        const reply = await c.publish(target);
        assertRefused(reply, 'event whose deletion came first');
        const r = await c.query([{ ids: [target.id] }]);
        assert.equal(r.events.length, 0);
      });
    });
  });

  describe('NIP-40 expiration', () => {
    it('refuses an event whose expiration is in the past', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys, { tags: [['expiration', String(nowSec() - 10)]] });
      await withClient(ctx.relay.url, async (c) => {
        assertRefused(await c.publish(event), 'expired event');
        const r = await c.query([{ ids: [event.id] }]);
        assert.equal(r.events.length, 0);
      });
    });

    it('returns an event before its expiration and not after', T, async () => {
      const keys = newKeys();
      const expiration = nowSec() + 2;
      const event = signEvent(keys, { tags: [['expiration', String(expiration)]] });
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(event), 'event expiring in 2 s');
        const before = await c.query([{ ids: [event.id] }]);
        assert.deepEqual(idsOf(before.events), [event.id]);
        // Time itself is what is under test here: wait until the expiration second is over.
        await sleep(Math.max(0, (expiration + 1) * 1000 - Date.now()) + 100);
        const after = await c.query([{ ids: [event.id] }, { authors: [keys.pk] }]);
        assert.equal(after.events.length, 0, 'expired event still returned');
      });
    });
  });
}
