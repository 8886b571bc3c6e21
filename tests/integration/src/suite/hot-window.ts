import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Keys, newKeys, nowSec, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import type { StartRelay } from '../harness/types.js';
import { waitUntil } from '../harness/wait.js';
import { openAs } from './access-helpers.js';
import { assertAccepted, assertRefused, idSet, idsOf, relayForBlock, withClient } from './context.js';
import {
  assertFromWindow,
  moved,
  newestFirst,
  publishEverywhere,
  relayWindowSample,
  sameSecondPair,
  waitHot,
  windowGateways,
} from './hot-window-probes.js';
import { adminCall } from './management.js';

const T = { timeout: 40_000 } as const;

/**
 * The hot window end to end (issue 12): REQs it can answer are answered from gateway memory (its
 * counters prove it), and the answers stay what the store would say through privacy, NIP-09,
 * replaceable kinds, NIP-40, a read right after OK, and a NIP-86 ban (which turns it cold).
 * Each test waits until the events it published reached every gateway's window (live
 * watchers), so a failure is the window's answer, not a race with the fanout, except in the
 * read-after-OK test, where that race is what is under test.
 */
export function hotWindowTests(start: StartRelay): void {
  const admin = newKeys();
  describe('hot window (REQs answered from gateway memory)', () => {
    const ctx = relayForBlock(start, { env: { ADMIN_PUBKEYS: admin.pk } });

    it('answers from memory: the events published, newest first, limit respected', T, async () => {
      await waitHot(ctx.relay);
      const keys = newKeys();
      const word = randomWord();
      const base = nowSec() - 100;
      const events = [0, 1, 2, 3, 4, 5, 6].map((i) =>
        signEvent(keys, { created_at: base + i, content: `${word} ${i}` }),
      );
      const [low, high] = sameSecondPair(keys, 1, base + 4);
      const all = [...events, high, low];
      const expected = newestFirst(all);
      // Older than the rest, sent as a text of its own layout (key order, spaces) both answers keep.
      // Long-form (a searchable kind by default, and outside `kinds: [1]`).
      const odd = signEvent(keys, {
        kind: 30023,
        tags: [['d', 'odd']],
        created_at: base - 1,
        content: `${word} odd`,
      });
      const order = ['sig', 'content', 'tags', 'kind', 'created_at', 'pubkey', 'id'];
      const oddText = JSON.stringify(odd, order).replace(/":/g, '": ');
      await publishEverywhere(ctx.relay, { authors: [keys.pk] }, [...all, oddText]);
      await withClient(ctx.relay.url, async (c) => {
        const before = await relayWindowSample(ctx.relay);
        const limited = await c.query([{ authors: [keys.pk], limit: 5 }]);
        assert.deepEqual(idsOf(limited.events), idsOf(expected.slice(0, 5)), 'limit 5');
        const whole = await c.query([{ authors: [keys.pk], kinds: [1] }]);
        assert.deepEqual(
          whole.texts,
          expected.map((e) => JSON.stringify(e)),
          'no limit: the texts sent',
        );
        const pair = await c.query([{ ids: [high.id, events[6]!.id, low.id] }]);
        assert.deepEqual(idsOf(pair.events), [events[6]!.id, low.id, high.id], 'ids, ties by id');
        const since = await c.query([{ authors: [keys.pk], since: base + 4, until: base + 5 }]);
        assert.deepEqual(idsOf(since.events), idsOf(expected.slice(1, 5)), 'since/until');
        assert.deepEqual((await c.query([{ ids: [odd.id] }])).texts, [oddText], 'the text as sent');
        assertFromWindow(before, await relayWindowSample(ctx.relay), 5, 'plain filters');
        // The store's own answer (a search is never answered from the window) holds the same.
        const store = await c.query([{ authors: [keys.pk], search: word }]);
        assert.deepEqual(idSet(store.events), idSet([...events, odd]), 'search through the query service');
        assert.ok(store.texts.includes(oddText), 'the store keeps the text as sent');
        assert.equal(moved(before, await relayWindowSample(ctx.relay)).query, 1, 'search filter');
      });
    });

    it('read after OK: every gateway returns an event once its publisher got OK true', T, async (t) => {
      await waitHot(ctx.relay);
      const keys = newKeys();
      const gateways = windowGateways(ctx.relay);
      const pub = await RawClient.open(gateways.at(-1)!.ws);
      const readers = await Promise.all(gateways.map((g) => RawClient.open(g.ws)));
      const misses: string[] = [];
      const rounds = 40;
      try {
        const before = await relayWindowSample(ctx.relay);
        for (let i = 0; i < rounds; i++) {
          const e = signEvent(keys, { content: `round ${i}` });
          assertAccepted(await pub.publish(e), `round ${i}`);
          const answers = await Promise.all(readers.map((r) => r.query([{ ids: [e.id] }])));
          answers.forEach((a, g) => {
            if (a.events.length !== 1)
              misses.push(`round ${i}: gateway ${g + 1} returned ${a.events.length}`);
          });
        }
        const d = moved(before, await relayWindowSample(ctx.relay));
        t.diagnostic(`filters from the window ${d.window}, from the query service ${d.query}`);
        assert.ok(d.window > 0, 'no REQ was answered from the window');
      } finally {
        pub.close();
        for (const r of readers) r.close();
      }
      assert.deepEqual(misses, [], `events missing right after OK true (${rounds} rounds)`);
    });

    it('privileged kinds: a kind-4 DM reaches only its AUTHed author and recipient', T, async () => {
      await waitHot(ctx.relay);
      const [A, B, C] = [newKeys(), newKeys(), newKeys()];
      const control = signEvent(A, { kind: 1, tags: [['p', B.pk]], created_at: nowSec() - 5 });
      const dm = signEvent(A, { kind: 4, tags: [['p', B.pk]], content: 'secret' });
      await publishEverywhere(ctx.relay, { authors: [A.pk] }, [control, dm], [A]);
      const viewers = [
        { name: 'anonymous', as: [] as Keys[], allowed: false },
        { name: 'C (another pubkey)', as: [C], allowed: false },
        { name: 'A (author)', as: [A], allowed: true },
        { name: 'B (recipient)', as: [B], allowed: true },
      ];
      const before = await relayWindowSample(ctx.relay);
      let served = 0;
      for (const viewer of viewers) {
        const c = await openAs(ctx.relay.url, ...viewer.as);
        try {
          const visible = viewer.allowed ? [dm, control] : [control];
          const dms = await c.query([{ kinds: [4] }]);
          if (dms.end === 'EOSE') served++;
          assert.deepEqual(idsOf(dms.events), viewer.allowed ? [dm.id] : [], `${viewer.name}: {kinds:[4]}`);
          const byAuthor = await c.query([{ authors: [A.pk] }]);
          assert.deepEqual(idsOf(byAuthor.events), idsOf(visible), `${viewer.name}: authors`);
          const byId = await c.query([{ ids: [dm.id, control.id] }]);
          assert.deepEqual(idsOf(byId.events), idsOf(visible), `${viewer.name}: ids`);
          const toB = await c.query([{ '#p': [B.pk], limit: 1 }]);
          assert.deepEqual(idsOf(toB.events), [visible[0]!.id], `${viewer.name}: #p, limit 1`);
          served += 3;
        } finally {
          c.close();
        }
      }
      assertFromWindow(before, await relayWindowSample(ctx.relay), served, 'privileged reads');
    });

    it('NIP-09 and replaceable: deleted gone, newest kind 0 wins, ties to the lowest id', T, async () => {
      await waitHot(ctx.relay);
      const [keys, k1, k2] = [newKeys(), newKeys(), newKeys()];
      const t = nowSec() - 100;
      const target = signEvent(keys, { created_at: t });
      const kept = signEvent(keys, { created_at: t + 1 });
      const deletion = signEvent(keys, { kind: 5, tags: [['e', target.id]], created_at: t + 2 });
      const older = signEvent(keys, { kind: 0, created_at: t - 10 });
      const newer = signEvent(keys, { kind: 0, created_at: t });
      const oldest = signEvent(keys, { kind: 0, created_at: t - 20 });
      const [low1, high1] = sameSecondPair(k1, 0, t);
      const [low2, high2] = sameSecondPair(k2, 10002, t);
      const authors = { authors: [keys.pk, k1.pk, k2.pk] };
      const before = await relayWindowSample(ctx.relay);
      await publishEverywhere(ctx.relay, authors, [target, kept, older, newer]);
      // high1 then low1: both stored (low1 replaces high1); low2 then high2: high2 is not.
      await publishEverywhere(ctx.relay, authors, [deletion, high1, low1, low2]);
      await withClient(ctx.relay.url, async (c) => {
        assertRefused(await c.publish(target), 're-sending a deleted event');
        // Refused or accepted unstored: either way never returned.
        for (const e of [oldest, high2]) await c.publish(e);
      });
      const mid = await relayWindowSample(ctx.relay);
      await withClient(ctx.relay.url, async (c) => {
        const ids = async (filter: object) => idsOf((await c.query([filter])).events);
        assert.deepEqual(await ids({ authors: [keys.pk], kinds: [1, 5] }), [deletion.id, kept.id], 'deleted');
        assert.deepEqual(await ids({ ids: [target.id] }), [], 'the deleted event by id');
        assert.deepEqual(await ids({ authors: [keys.pk], kinds: [0] }), [newer.id], 'newest kind 0');
        assert.deepEqual(await ids({ ids: [older.id, oldest.id] }), [], 'replaced versions by id');
        assert.deepEqual(await ids({ authors: [k1.pk], kinds: [0] }), [low1.id], 'tie: higher id first');
        assert.deepEqual(await ids({ authors: [k2.pk], kinds: [10002] }), [low2.id], 'tie: lower id first');
      });
      assertFromWindow(mid, await relayWindowSample(ctx.relay), 6, 'deletion and replaceable reads');
      assert.equal(moved(before, mid).colds, 0, 'a window went cold on a deletion or a replacement');
    });

    it('NIP-40: an event leaves the answers once its expiration passed', T, async () => {
      await waitHot(ctx.relay);
      const keys = newKeys();
      const expiration = nowSec() + 4;
      const expiring = signEvent(keys, { tags: [['expiration', String(expiration)]] });
      const plain = signEvent(keys, { created_at: nowSec() - 1 });
      await publishEverywhere(ctx.relay, { authors: [keys.pk] }, [expiring, plain]);
      const before = await relayWindowSample(ctx.relay);
      let asked = 0;
      await withClient(ctx.relay.url, async (c) => {
        // Polled (time itself is under test): before the expiration second it is there, from it on not.
        const left = await waitUntil(
          async () => {
            const sentAt = Date.now() / 1000;
            const r = await c.query([{ authors: [keys.pk] }]);
            const doneAt = Date.now() / 1000;
            asked++;
            const has = r.events.some((e) => e.id === expiring.id);
            if (doneAt < expiration) assert.ok(has, 'the event left before its expiration');
            if (sentAt >= expiration) assert.ok(!has, 'the event is returned after its expiration');
            return has ? undefined : idsOf(r.events);
          },
          { timeoutMs: 10_000, intervalMs: 200, what: 'the expired event gone from REQ answers' },
        );
        assert.deepEqual(left, [plain.id]);
        assert.ok(asked >= 2, 'the event was never seen before its expiration');
      });
      assertFromWindow(before, await relayWindowSample(ctx.relay), asked, 'NIP-40 reads');
    });

    it('NIP-86 banpubkey hides stored events, the windows go cold and warm again; unban', T, async (t) => {
      await waitHot(ctx.relay);
      const gateways = windowGateways(ctx.relay);
      const [spammer, bystander] = [newKeys(), newKeys()];
      const tag = randomWord();
      const spam = [signEvent(spammer, { tags: [['t', tag]] }), signEvent(spammer, { kind: 0 })];
      const fine = signEvent(bystander, { tags: [['t', tag]] });
      await publishEverywhere(ctx.relay, { authors: [spammer.pk, bystander.pk] }, [...spam, fine]);
      const readers = await Promise.all(gateways.map((g) => RawClient.open(g.ws)));
      const spamOn = async (r: RawClient) => idSet((await r.query([{ authors: [spammer.pk] }])).events);
      try {
        const before = await relayWindowSample(ctx.relay);
        assert.equal(await adminCall(ctx.relay, admin, 'banpubkey', [spammer.pk, 'spam']), true);
        const next = await Promise.all(readers.map(spamOn));
        t.diagnostic(`banned events on the next REQ, per gateway: ${next.map((n) => n.length).join(', ')}`);
        if (readers.length === 1) assert.deepEqual(next[0], [], 'banned events on the next REQ');
        // Other gateways learn of a ban over Redis: the management promise is within a second.
        for (const r of readers) {
          await waitUntil(async () => ((await spamOn(r)).length === 0 ? true : undefined), {
            timeoutMs: 1_000,
            intervalMs: 20,
            what: 'the ban on every gateway',
          });
        }
        const warm = await waitHot(ctx.relay, { warmupsAbove: before.warmups + gateways.length - 1 });
        assert.ok(moved(before, warm).colds >= gateways.length, 'not every window went cold on the ban');
        const again = await relayWindowSample(ctx.relay);
        for (const r of readers) {
          assert.deepEqual(await spamOn(r), [], 'banned events after the re-warm');
          const tagged = await r.query([{ '#t': [tag] }]);
          assert.deepEqual(idsOf(tagged.events), [fine.id], 'the tag after the ban');
        }
        assertFromWindow(again, await relayWindowSample(ctx.relay), 2 * readers.length, 'after the re-warm');

        const unban = await relayWindowSample(ctx.relay);
        assert.equal(await adminCall(ctx.relay, admin, 'unbanpubkey', [spammer.pk]), true);
        await waitHot(ctx.relay, { warmupsAbove: unban.warmups + gateways.length - 1 });
        const back = await relayWindowSample(ctx.relay);
        for (const r of readers) assert.deepEqual(await spamOn(r), idSet(spam), 'after the unban');
        assertFromWindow(back, await relayWindowSample(ctx.relay), readers.length, 'after the unban');
      } finally {
        for (const r of readers) r.close();
      }
    });
  });
}
