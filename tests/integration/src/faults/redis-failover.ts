import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { slotOf, spreadChannels } from '@nrelay/redis/testing';
import { type Keys, newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import type { ClusterRelay } from '../harness/cluster.js';
import { FrameTally } from '../harness/tally.js';
import { waitUntil } from '../harness/wait.js';

/** A steady stream: one EVENT every this many ms. */
const PUBLISH_EVERY_MS = 25;
/** Stream before the kill, and after it, in ms. */
const BEFORE_KILL_MS = 2_000;
const AFTER_KILL_MS = 8_000;
/** FANOUT_PARTITIONS of the relay under test (the default). */
const PARTITIONS = 16;

/**
 * Keys whose fanout partition (by the pubkey's first 32 bits, as the relay's fanoutPartitionOf)
 * lives on the master at `port`, so the stream's live copies cross the killed master.
 */
async function keysOnMaster(r: ClusterRelay, port: number): Promise<Keys> {
  const channels = spreadChannels(`${r.redisPrefix}:fanout`, PARTITIONS);
  const masters = await Promise.all(channels.map((c) => r.redisCluster!.masterOf(slotOf(c))));
  for (;;) {
    const keys = newKeys();
    const partition = Number.parseInt(keys.pk.slice(0, 8), 16) % PARTITIONS;
    if (masters[partition] === port) return keys;
  }
}

/** Stored events among `ids`, by REQs of up to 500 ids. */
async function storedOf(url: string, ids: readonly string[]): Promise<Set<string>> {
  const reader = await RawClient.open(url);
  try {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const r = await reader.query([{ ids: ids.slice(i, i + 500) }]);
      assert.equal(r.end, 'EOSE', `REQ by ids: ${r.reason}`);
      for (const e of r.events) found.add(e.id);
    }
    return found;
  } finally {
    reader.close();
  }
}

function stream(keys: Keys, tag: string, n: number): NostrEvent {
  return signEvent(keys, { kind: 1, tags: [['t', tag]], content: `failover ${n}` });
}

/**
 * Failover mid-stream on a Redis Cluster: a publisher on gateway A streams EVENTs, live
 * subscribers on both gateways; the master owning the BullMQ queue's slot (and with it some
 * fanout partitions) is SIGKILLed, its replica takes over. Every event OK'd true must be
 * stored; events answered `error:` are re-sent until accepted; live delivery resumes. How many
 * OK'd events the live subscribers missed during the failover is reported, not asserted (pub/sub
 * is at most once across a failover; the REQ flow serves them from the store).
 */
export function redisFailoverTests(relay: () => ClusterRelay): void {
  for (const victim of ['queue', 'fanout'] as const) failoverTest(relay, victim);
}

/**
 * `queue`: the master of the queue's hash tag (all of ingest, 5-6 fanout partitions) is killed;
 * `fanout`: a master that holds fanout partitions but not the queue. In both, the stream's author
 * is on a fanout partition of the killed master (its publishes ride out the failover, FANOUT_PUBLISH_RETRY_MS).
 */
function failoverTest(relay: () => ClusterRelay, victim: 'queue' | 'fanout'): void {
  const what = victim === 'queue' ? 'the queue’s master' : 'a master holding only fanout partitions';
  it(`Redis Cluster failover mid-stream (SIGKILL of ${what}): every OK true stored, live delivery resumes`, {
    timeout: 180_000,
  }, async (t) => {
    const r = relay();
    const redisCluster = r.redisCluster;
    assert.ok(redisCluster, 'runs on a Redis Cluster');
    // The victim: the queue's master, or another master (fanout partitions only).
    const queueMaster = await redisCluster.masterOf(slotOf(`{${r.redisPrefix}}`));
    let victimPort: number | undefined = victim === 'queue' ? queueMaster : undefined;
    for (let i = 0; i < 3 && victimPort === undefined; i++) {
      const master = await redisCluster.masterOf(Math.floor((i * 16_384) / 3));
      if (master !== queueMaster) victimPort = master;
    }
    assert.ok(victimPort !== undefined);
    // The stream's author is on a partition of the victim, so its live copies cross the failover.
    const keys = await keysOnMaster(r, victimPort);
    const tag = randomWord(16);
    const pub = await RawClient.open(r.gatewayUrls[0]!);
    const subs = await Promise.all([RawClient.open(r.gatewayUrls[0]!), RawClient.open(r.gatewayUrls[1]!)]);
    const pubTally = new FrameTally(pub);
    const subTallies = subs.map((c) => new FrameTally(c));
    let killedPort: number | undefined;
    try {
      for (const c of subs) {
        const q = await c.query([{ '#t': [tag], limit: 0 }], { subId: 'live', keepOpen: true });
        assert.equal(q.end, 'EOSE');
      }
      const sent: NostrEvent[] = [];
      const start = performance.now();
      let killedAt = 0;
      let n = 0;
      const total = Math.round((BEFORE_KILL_MS + AFTER_KILL_MS) / PUBLISH_EVERY_MS);
      const publishing = (async () => {
        for (; n < total; n++) {
          const wait = start + n * PUBLISH_EVERY_MS - performance.now();
          if (wait > 0) await sleep(wait);
          const e = stream(keys, tag, n);
          sent.push(e);
          await pub.sendJson(['EVENT', e]);
        }
      })();
      await sleep(BEFORE_KILL_MS);
      await redisCluster.waitHealthy(30_000);
      assert.equal(await redisCluster.masterOf(slotOf(`{${r.redisPrefix}}`)), queueMaster, 'no failover yet');
      killedPort = victimPort;
      await redisCluster.kill(killedPort);
      killedAt = performance.now() - start;
      // When the replica has taken over (every slot served again), measured while the stream runs.
      const healthy = redisCluster.waitHealthy(30_000).then(() => performance.now() - start);
      await publishing;
      const healthyAt = await healthy;

      // Every EVENT gets an answer; those refused with error: are sent again until accepted.
      await waitUntil(() => (pubTally.update().oks.size === sent.length ? true : undefined), {
        timeoutMs: 60_000,
        what: 'an OK for every EVENT of the stream',
      });
      const firstAnswers = sent.map((e) => pubTally.oks.get(e.id)![0]!);
      const refused = sent.filter((_, i) => !firstAnswers[i]!.ok);
      for (const e of refused) {
        assert.match(pubTally.oks.get(e.id)![0]!.message, /^error:/, 'only error: refusals are expected');
      }
      for (const e of refused) {
        await waitUntil(
          async () => {
            const ok = await pub.publish(e, 20_000);
            return ok.ok || /^duplicate:/.test(ok.message) ? true : undefined;
          },
          { timeoutMs: 60_000, what: `event ${e.id} accepted on a retry` },
        );
      }

      // Nothing OK'd (first time or on a retry) is missing from the store.
      const stored = await storedOf(
        r.gatewayUrls[1]!,
        sent.map((e) => e.id),
      );
      const lost = sent.filter((e) => !stored.has(e.id)).map((e) => e.id);
      assert.deepEqual(lost, [], 'accepted events missing from the store');

      // Live delivery resumes: events published now reach both subscribers live.
      const afterwards = Array.from({ length: 20 }, (_, i) => stream(keys, tag, 100_000 + i));
      for (const e of afterwards) {
        const ok = await pub.publish(e, 20_000);
        assert.ok(ok.ok, `after the failover: ${ok.message}`);
      }
      await waitUntil(
        () =>
          subTallies.every((tl) => afterwards.every((e) => tl.update().copies('live', e.id) === 1))
            ? true
            : undefined,
        { timeoutMs: 20_000, what: 'live delivery of the events sent after the failover, on both gateways' },
      );

      const accepted = sent.filter((_, i) => firstAnswers[i]!.ok);
      const missed = subTallies.map((tl) => accepted.filter((e) => tl.copies('live', e.id) === 0).length);
      t.diagnostic(
        `stream of ${sent.length} events (one per ${PUBLISH_EVERY_MS} ms); master :${killedPort} killed at +${Math.round(killedAt)} ms, every slot served again at +${Math.round(healthyAt)} ms`,
      );
      const reasons = new Map<string, number>();
      for (const e of refused) {
        const reason = pubTally.oks.get(e.id)![0]!.message;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      t.diagnostic(
        `${accepted.length} OK true at once, ${refused.length} answered error: and accepted on a retry; 0 lost`,
      );
      for (const [reason, count] of reasons) t.diagnostic(`  ${count} × ${reason}`);
      t.diagnostic(
        `live subscribers missed ${missed[0]} (gateway A) and ${missed[1]} (gateway B) of the ${accepted.length} events OK'd during the stream`,
      );
    } finally {
      pub.close();
      for (const c of subs) c.close();
      if (killedPort !== undefined) {
        // Back as a replica of the new master, so whatever runs next sees 3 + 3 again.
        await redisCluster?.restart(killedPort).catch(() => {});
        await redisCluster?.waitHealthy(30_000).catch(() => {});
      }
    }
  });
}
