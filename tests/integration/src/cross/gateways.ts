import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { FrameTally } from '../harness/tally.js';
import { waitUntil } from '../harness/wait.js';

/** Two gateways of a running cluster: A (index 0) and B (index 1), read once its `before` hook ran. */
export interface GatewayPair {
  gwA(): string;
  gwB(): string;
}

async function open(url: string): Promise<RawClient> {
  return RawClient.open(url);
}

/**
 * Cross-gateway behaviour of a two-gateway cluster: what one gateway accepts, the other serves
 * and delivers, at the seam between stored and live results too. Clients connect to a gateway
 * directly, so publisher and subscriber are on different ones for sure. Run on the default
 * cluster (cluster-cross.test.ts) and on a Redis Cluster (cluster-redis-cluster.test.ts).
 */
export function crossGatewayTests(name: string, { gwA, gwB }: GatewayPair): void {
  describe(name, () => {
    it('a subscriber on B receives an event published on A, one copy per subscription', {
      timeout: 30_000,
    }, async () => {
      const keys = newKeys();
      const tag = randomWord();
      const pub = await open(gwA());
      const subB = await open(gwB());
      const subB2 = await open(gwB());
      const subA = await open(gwA());
      try {
        // Overlapping subscriptions: two on one connection, one whose two filters both match,
        // one on another connection of B, one on A itself.
        const subs: Array<[RawClient, string, unknown[]]> = [
          [subB, 'by-author', [{ authors: [keys.pk] }]],
          [subB, 'by-tag', [{ '#t': [tag] }]],
          [subB2, 'two-filters', [{ authors: [keys.pk] }, { '#t': [tag], kinds: [1] }]],
          [subA, 'on-a', [{ authors: [keys.pk] }]],
        ];
        for (const [c, subId, filters] of subs) {
          const r = await c.query(filters, { subId, keepOpen: true });
          assert.equal(r.end, 'EOSE', `${subId}: ${r.reason}`);
          assert.equal(r.events.length, 0, `${subId}: stored events before anything was published`);
        }
        const event = signEvent(keys, { tags: [['t', tag]] });
        const sentinel = signEvent(keys, { tags: [['t', tag]], content: 'sentinel' });
        const ok = await pub.publish(event);
        assert.equal(ok.ok, true, `publish on A: ${ok.raw}`);
        for (const [c, subId] of subs) await c.nextEvent(subId, event.id, 0, 10_000);
        // A later event through the same path; once it arrived, any second copy of the first has too.
        assert.equal((await pub.publish(sentinel)).ok, true);
        for (const [c, subId] of subs) await c.nextEvent(subId, sentinel.id, 0, 10_000);
        for (const c of [subA, subB, subB2]) await c.barrier();
        for (const [c, subId] of subs) {
          assert.equal(c.eventsOn(subId, 0, event.id).length, 1, `${subId}: copies of the event`);
          assert.equal(c.eventsOn(subId, 0, sentinel.id).length, 1, `${subId}: copies of the sentinel`);
        }
      } finally {
        for (const c of [pub, subB, subB2, subA]) c.close();
      }
    });

    it("a REQ on B returns an event stored through A right after A's OK", { timeout: 30_000 }, async () => {
      const keys = newKeys();
      const pub = await open(gwA());
      const reader = await open(gwB());
      try {
        for (let i = 0; i < 25; i++) {
          const e = signEvent(keys, { content: `read-your-write ${i}` });
          const ok = await pub.publish(e);
          assert.equal(ok.ok, true, `publish ${i} on A: ${ok.raw}`);
          const r = await reader.query([{ ids: [e.id] }]);
          assert.equal(r.end, 'EOSE', `REQ ${i} on B: ${r.reason}`);
          assert.deepEqual(
            r.events.map((x) => x.id),
            [e.id],
            `event ${i} not served by B right after A's OK`,
          );
        }
        const all = await reader.query([{ authors: [keys.pk] }]);
        assert.equal(all.events.length, 25);
      } finally {
        pub.close();
        reader.close();
      }
    });

    it('no loss at the seam: REQs opened on B while A publishes get every later event, once', {
      timeout: 90_000,
    }, async (t) => {
      const EVENTS = 300;
      const PUBLISH_EVERY_MS = 20; // 300 events over ~6 s
      const REQ_EVERY_MS = 100; // ~60 REQs over the same 6 s
      const REQS = 60;
      const SUB_CONNECTIONS = 4;
      const kind = 1000 + randomInt(9000); // a regular kind unique to this run, with a unique tag
      const tag = randomWord(16);
      const filter = { kinds: [kind], '#t': [tag], limit: 1000 };
      const keys = newKeys();
      const events: NostrEvent[] = Array.from({ length: EVENTS }, (_, i) =>
        signEvent(keys, { kind, tags: [['t', tag]], content: `seam ${i}` }),
      );
      const sentAt: number[] = [];
      const reqs: Array<{ client: number; subId: string; sentAt: number }> = [];
      const pub = await open(gwA());
      const subs = await Promise.all(Array.from({ length: SUB_CONNECTIONS }, () => open(gwB())));
      const tallies = subs.map((c) => new FrameTally(c));
      const pubTally = new FrameTally(pub);
      try {
        const start = performance.now();
        const publishing = (async () => {
          for (let i = 0; i < EVENTS; i++) {
            const due = start + i * PUBLISH_EVERY_MS;
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait);
            sentAt[i] = performance.now();
            await pub.send(`["EVENT",${JSON.stringify(events[i])}]`);
          }
        })();
        const subscribing = (async () => {
          for (let n = 0; n < REQS; n++) {
            const due = start + n * REQ_EVERY_MS;
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait);
            const client = n % SUB_CONNECTIONS;
            const subId = `seam-${n}`;
            reqs.push({ client, subId, sentAt: performance.now() });
            await subs[client]!.sendJson(['REQ', subId, filter]);
          }
        })();
        await Promise.all([publishing, subscribing]);

        // Every EVENT gets its OK; all of them are accepted.
        await waitUntil(() => (pubTally.update().oks.size === EVENTS ? true : undefined), {
          timeoutMs: 20_000,
          what: `OKs for all ${EVENTS} events`,
        });
        const refused = events.filter((e) => pubTally.oks.get(e.id)?.[0]?.ok !== true);
        assert.deepEqual(
          refused.map((e) => `${e.id}: ${JSON.stringify(pubTally.oks.get(e.id))}`),
          [],
          'events refused by the relay',
        );

        // Each subscription: EOSE, then every event sent after its REQ (stored or live).
        const missingOf = (r: (typeof reqs)[number]): string[] => {
          const tally = tallies[r.client]!;
          return events
            .filter((e, i) => sentAt[i]! > r.sentAt && tally.copies(r.subId, e.id) === 0)
            .map((e) => e.id);
        };
        const late = await waitUntil(
          () => {
            for (const tl of tallies) tl.update();
            const incomplete = reqs.filter(
              (r) => !tallies[r.client]!.eose.has(r.subId) || missingOf(r).length > 0,
            );
            return incomplete.length === 0 ? true : undefined;
          },
          { timeoutMs: 20_000, what: 'every subscription complete' },
        ).catch(() => false);
        for (const c of subs) await c.barrier();
        await sleep(300);
        for (const tl of tallies) tl.update();

        const problems: string[] = [];
        let sentAfter = 0;
        for (const r of reqs) {
          const tally = tallies[r.client]!;
          if (tally.closed.has(r.subId)) problems.push(`${r.subId}: CLOSED ${tally.closed.get(r.subId)}`);
          if (!tally.eose.has(r.subId)) problems.push(`${r.subId}: no EOSE`);
          const expected = events.filter((_, i) => sentAt[i]! > r.sentAt).length;
          sentAfter += expected;
          const missing = missingOf(r);
          if (missing.length > 0) {
            problems.push(
              `${r.subId} (REQ sent at +${Math.round(r.sentAt - start)} ms): ${missing.length} of ${expected} later events missing, e.g. ${missing
                .slice(0, 3)
                .map(
                  (id) =>
                    `${id} sent at +${Math.round(sentAt[events.findIndex((e) => e.id === id)]! - start)} ms`,
                )
                .join(', ')}`,
            );
          }
          const twice = [...(tally.events.get(r.subId) ?? new Map<string, number>())].filter(
            ([, n]) => n > 1,
          );
          if (twice.length > 0) problems.push(`${r.subId}: ${twice.length} events received more than once`);
        }
        t.diagnostic(
          `${reqs.length} REQs on B, ${EVENTS} events on A; ${sentAfter} (REQ, later event) pairs checked; complete in time: ${late}`,
        );
        assert.deepEqual(problems, [], 'subscriptions that lost or duplicated events at the seam');

        // Stronger, from the same data: with limit 1000 > 300 every accepted event, even one sent
        // before the REQ, is returned stored or delivered live to every subscription.
        const incompleteAll = reqs.filter((r) =>
          events.some((e) => tallies[r.client]!.copies(r.subId, e.id) === 0),
        );
        assert.deepEqual(
          incompleteAll.map((r) => r.subId),
          [],
          'subscriptions missing an accepted event sent before their REQ',
        );
      } finally {
        pub.close();
        for (const c of subs) c.close();
      }
    });
  });
}
