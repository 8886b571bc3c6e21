import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_RELAYS } from '@nrelay/protocol';
import { newKeys, nowSec, signEvent } from '@nrelay/testkit';
import { openAs } from './access-helpers.js';
import { assertAccepted, assertRefused, idsOf, type SuiteContext, T, withClient } from './context.js';
import { moved, publishEverywhere, relayWindowSample, waitHot, windowGateways } from './hot-window-probes.js';
import { adminCall } from './management.js';

/**
 * NIP-62 requests to vanish, as clients see them: on every gateway (its hot window too) right
 * after the OK, the pubkey's events up to the request and the gift wraps to it are gone, stay
 * gone (a re-publish is `blocked:`, a kind 5 undoes nothing), and newer events are accepted.
 */
export function vanishTests(ctx: SuiteContext): void {
  describe('NIP-62 request to vanish', () => {
    it('deletes everything up to it on every gateway at once, gift wraps to it included', T, async () => {
      await waitHot(ctx.relay);
      const [keys, friend] = [newKeys(), newKeys()];
      const t = nowSec() - 60;
      const note = signEvent(keys, { created_at: t - 10 });
      const profile = signEvent(keys, { kind: 0, created_at: t - 9 });
      const deletion = signEvent(keys, { kind: 5, tags: [['e', '0'.repeat(64)]], created_at: t - 8 });
      const wrap = signEvent(friend, { kind: 1059, tags: [['p', keys.pk]], created_at: t - 20 });
      const wrapToFriend = signEvent(keys, { kind: 1059, tags: [['p', friend.pk]], created_at: t - 30 });
      const mention = signEvent(friend, { tags: [['p', keys.pk]], created_at: t - 5 });
      const events = [note, profile, deletion, wrap, wrapToFriend, mention];
      // Every gateway's window holds them before the request.
      await publishEverywhere(ctx.relay, { authors: [keys.pk, friend.pk] }, events, [keys, friend]);

      const request = signEvent(keys, { kind: 62, tags: [['relay', ALL_RELAYS]], created_at: t });
      const gateways = windowGateways(ctx.relay);
      const readers = await Promise.all(gateways.map((g) => openAs(g.ws, keys, friend)));
      try {
        const before = await relayWindowSample(ctx.relay);
        await withClient(gateways[0]!.ws, async (c) =>
          assertAccepted(await c.publish(request), 'the request'),
        );
        // Right after the OK, on every gateway (the others' hot windows included).
        for (const [g, r] of readers.entries()) {
          const what = `gateway ${g}`;
          const own = await r.query([{ authors: [keys.pk] }]);
          assert.deepEqual(idsOf(own.events), [], `${what}: the pubkey's events`);
          const wraps = await r.query([{ kinds: [1059], '#p': [keys.pk] }]);
          assert.deepEqual(idsOf(wraps.events), [], `${what}: gift wraps to the pubkey`);
          const byId = await r.query([{ ids: [note.id, wrap.id, mention.id] }]);
          assert.deepEqual(idsOf(byId.events), [mention.id], `${what}: by id (others' mentions stay)`);
          const friends = await r.query([{ kinds: [1059], '#p': [friend.pk] }]);
          assert.deepEqual(idsOf(friends.events), [], `${what}: a wrap the pubkey sent is its own event`);
        }
        // The windows answered (some of) these reads: they applied the request, not the store alone.
        const d = moved(before, await relayWindowSample(ctx.relay));
        assert.ok(d.window >= gateways.length, `filters answered from the windows: ${JSON.stringify(d)}`);
      } finally {
        for (const r of readers) r.close();
      }

      await withClient(ctx.relay.url, async (c) => {
        assertRefused(await c.publish(note), 're-publishing a vanished event', 'blocked:');
        assertRefused(await c.publish(wrap), 're-publishing a gift wrap to the pubkey', 'blocked:');
        const older = signEvent(keys, { created_at: t - 1 });
        assertRefused(await c.publish(older), 'a new event dated before the request', 'blocked:');
        const newer = signEvent(keys, { created_at: t + 1 });
        assertAccepted(await c.publish(newer), 'an event after the request');
        const undo = signEvent(keys, { kind: 5, tags: [['e', request.id]], created_at: t + 2 });
        await c.publish(undo);
        assertRefused(await c.publish(note), 'after a kind 5 naming the request', 'blocked:');
        const left = await c.query([{ authors: [keys.pk], kinds: [0, 1] }]);
        assert.deepEqual(idsOf(left.events), [newer.id], 'only the newer event');
        assertAccepted(await c.publish(request), 'the same request again (duplicate)');
      });
    });

    it('applies only a request naming this relay or ALL_RELAYS', T, async () => {
      const keys = newKeys();
      const note = signEvent(keys, { created_at: nowSec() - 30 });
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(note), 'a note');
        const elsewhere = signEvent(keys, { kind: 62, tags: [['relay', 'wss://elsewhere.example.com']] });
        assertRefused(await c.publish(elsewhere), 'a request naming another relay', 'invalid:');
        const untagged = signEvent(keys, { kind: 62 });
        assertRefused(await c.publish(untagged), 'a request without a relay tag', 'invalid:');
        const still = await c.query([{ ids: [note.id] }]);
        assert.deepEqual(idsOf(still.events), [note.id], 'nothing vanished');
        const here = signEvent(keys, { kind: 62, tags: [['relay', ctx.relay.url]] });
        assertAccepted(await c.publish(here), 'a request naming the URL the client connected to');
        const gone = await c.query([{ ids: [note.id] }]);
        assert.deepEqual(idsOf(gone.events), [], 'vanished');
      });
    });

    it('is honoured for a banned author: quarantined events up to it are gone after the unban', {
      timeout: 90_000,
    }, async () => {
      const admin = newKeys();
      const relay = await ctx.start({ env: { ADMIN_PUBKEYS: admin.pk } });
      try {
        const keys = newKeys();
        const now = nowSec();
        const before = signEvent(keys, { created_at: now - 100 });
        const after = signEvent(keys, { created_at: now - 10 });
        await withClient(relay.url, async (c) => {
          for (const e of [before, after]) assertAccepted(await c.publish(e), 'a note before the ban');
        });
        assert.equal(await adminCall(relay, admin, 'banpubkey', [keys.pk, 'test']), true);
        const request = signEvent(keys, { kind: 62, tags: [['relay', ALL_RELAYS]], created_at: now - 50 });
        await withClient(relay.url, async (c) => {
          assertRefused(await c.publish(signEvent(keys, {})), 'a note while banned', 'blocked:');
          assertAccepted(await c.publish(request), 'the request of a banned author');
        });
        assert.equal(await adminCall(relay, admin, 'unbanpubkey', [keys.pk]), true);
        await withClient(relay.url, async (c) => {
          const back = await c.query([{ authors: [keys.pk] }]);
          assert.deepEqual(idsOf(back.events), [after.id], 'the unban restores only what the request left');
        });
      } finally {
        await relay.stop();
      }
    });
  });
}
