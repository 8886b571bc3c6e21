import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { storedIds, eventStream as stream, summarizeOks as summarize } from '../harness/accounting.js';
import { FrameTally } from '../harness/tally.js';
import { httpStatus, waitForReady, waitUntil } from '../harness/wait.js';
import { ensureRunning, type FaultCluster, REPLY_TIMEOUT_MS } from './cluster.js';

/**
 * Faults of what the gateways stand on and of a gateway itself: Redis restarted, a gateway
 * stopped with SIGTERM. Each test restores what it broke.
 */
export function redisAndGatewayFaultTests(cluster: FaultCluster): void {
  const { relay, gwA, gwB, readyzOfIngest } = cluster;
  it('Redis restarted: gateways reconnect and resubscribe, live delivery across gateways resumes', {
    timeout: 120_000,
  }, async (t) => {
    const own = relay().redis!;
    const { filter, events } = stream(40, 'redis-restart');
    const pub = await RawClient.open(gwA());
    const before = await RawClient.open(gwB());
    let afterSub: RawClient | undefined;
    try {
      assert.equal((await before.query([filter], { subId: 'before', keepOpen: true })).end, 'EOSE');
      let next = 0;
      const first = events[next++]!;
      assert.equal((await pub.publish(first)).ok, true);
      await before.nextEvent('before', first.id, 0, 10_000);

      const downAt = performance.now();
      await own.restart(500);
      const readyUrls = [
        // /readyz of a gateway is reads only (it stays 200 through the outage); writes are back
        // when /readyz/write is.
        ...relay().gatewayUrls.map((u) => `${u.replace(/^ws/, 'http')}/readyz/write`),
        ...relay().cluster.ingestWorkers.map((_, i) => readyzOfIngest(i)),
      ];
      for (const u of readyUrls) await waitForReady(u, 30_000, 'after the Redis restart');
      const readyAfter = Math.round(performance.now() - downAt);

      afterSub = await RawClient.open(gwB());
      assert.equal((await afterSub.query([filter], { subId: 'after', keepOpen: true })).end, 'EOSE');
      // The first publish after the restart may race the worker's own reconnect: retry a few
      // times (bounded), each with a new event, and report how many tries it took.
      const tries: string[] = [];
      let live: NostrEvent | undefined;
      for (let attempt = 0; attempt < 10 && live === undefined; attempt++) {
        const e = events[next++]!;
        const ok = await pub.publish(e, REPLY_TIMEOUT_MS + 5000);
        tries.push(ok.raw);
        if (ok.ok) live = e;
        else await sleep(500);
      }
      assert.ok(live !== undefined, `no publish on A accepted after the Redis restart: ${tries.join(' | ')}`);
      await afterSub.nextEvent('after', live.id, 0, 10_000);
      const stillLive = await before
        .nextEvent('before', live.id, 0, 10_000)
        .then(() => true)
        .catch(() => false);
      // A few more, to count copies: each subscription must get each event once.
      const more = events.slice(next, next + 5);
      for (const e of more) {
        const ok = await pub.publish(e);
        assert.equal(ok.ok, true, `publish ${e.id} on A: ${ok.raw}`);
      }
      for (const e of more) await afterSub.nextEvent('after', e.id, 0, 10_000);
      await afterSub.barrier();
      await before.barrier();
      for (const e of [live, ...more]) {
        assert.equal(
          afterSub.eventsOn('after', 0, e.id).length,
          1,
          `copies of ${e.id} on the new subscription`,
        );
        assert.ok(
          before.eventsOn('before', 0, e.id).length <= 1,
          `copies of ${e.id} on the old subscription`,
        );
      }
      t.diagnostic(
        `gateways and ingest ready ${readyAfter} ms after the kill; publishes needed: ${tries.length} (${tries.join(' | ')}); subscription opened before the restart keeps receiving: ${stillLive}`,
      );
      // A subscription that was open across the restart keeps receiving: the gateway's fanout
      // connection re-subscribes and the local subscription index was never touched.
      assert.ok(stillLive, 'the subscription opened before the Redis restart stopped receiving');
    } finally {
      pub.close();
      before.close();
      afterSub?.close();
    }
  });

  it('gateway SIGTERM: connections closed with 1001 after draining, no accepted event lost', {
    timeout: 120_000,
  }, async (t) => {
    const gateway = relay().cluster.gateways[0]!;
    const { filter, events } = stream(400, 'gateway-drain');
    const pub = await RawClient.open(gwA());
    const idle = await RawClient.open(gwA());
    const tally = new FrameTally(pub);
    try {
      assert.equal((await idle.query([filter], { subId: 'idle', keepOpen: true })).end, 'EOSE');
      let i = 0;
      // A steady publisher…
      const steadyUntil = performance.now() + 1000;
      while (performance.now() < steadyUntil && i < 50) {
        await pub.send(`["EVENT",${JSON.stringify(events[i++])}]`);
        await sleep(20);
      }
      // …then a burst in flight at the moment of SIGTERM.
      for (const end = i + 100; i < end; i++) await pub.send(`["EVENT",${JSON.stringify(events[i])}]`);
      const inFlightBefore = i;
      const stopped = gateway.stop(30_000);
      const termAt = performance.now();
      // The publisher keeps going until its connection closes (bounded by the events at hand).
      while (pub.closed === undefined && i < events.length) {
        await pub.send(`["EVENT",${JSON.stringify(events[i])}]`).catch(() => {});
        i++;
        await sleep(10);
      }
      const sent = i;
      const [pubClose, idleClose] = await Promise.all([pub.waitClose(20_000), idle.waitClose(20_000)]);
      const closedAfter = Math.round(performance.now() - termAt);
      const code = await stopped.then(() => gateway.exited());
      tally.update();
      t.diagnostic(
        `sent ${sent} (${inFlightBefore} before SIGTERM), connections closed ${closedAfter} ms after SIGTERM; answers: ${summarize(tally, events.slice(0, sent))}`,
      );
      assert.equal(pubClose.code, 1001, `publisher closed with ${pubClose.code} "${pubClose.reason}"`);
      assert.equal(
        idleClose.code,
        1001,
        `idle subscriber closed with ${idleClose.code} "${idleClose.reason}"`,
      );
      assert.equal(code, 0, 'the gateway did not exit cleanly on SIGTERM');
      // Draining: everything sent before SIGTERM was answered before the close.
      const unanswered = events.slice(0, inFlightBefore).filter((e) => !tally.oks.has(e.id));
      assert.deepEqual(
        unanswered.map((e) => e.id),
        [],
        'EVENTs sent before SIGTERM closed without an OK',
      );
      const twice = events.filter((e) => (tally.oks.get(e.id)?.length ?? 0) > 1);
      assert.deepEqual(
        twice.map((e) => e.id),
        [],
        'events answered more than once',
      );
      // Nothing acknowledged is lost: all of it is served by the other gateway.
      const accepted = events
        .slice(0, sent)
        .filter((e) => tally.oks.get(e.id)?.[0]?.ok === true)
        .map((e) => e.id);
      const stored = await storedIds(gwB(), filter);
      const lost = accepted.filter((id) => !stored.has(id));
      assert.deepEqual(
        lost,
        [],
        `events acknowledged OK true but not served by gateway B (${lost.length} of ${accepted.length})`,
      );
      // The stopped gateway's readiness is gone; HAProxy routes new connections to B.
      assert.equal(await httpStatus(`${gwA().replace(/^ws/, 'http')}/readyz`), 0);
      await waitUntil(
        async () => {
          const c = await RawClient.open(relay().url, 2000);
          try {
            return (await c.query([filter], { timeoutMs: 2000 })).end === 'EOSE' ? true : undefined;
          } finally {
            c.close();
          }
        },
        {
          timeoutMs: 15_000,
          intervalMs: 250,
          what: 'HAProxy routing new connections to the remaining gateway',
        },
      );
    } finally {
      pub.close();
      idle.close();
      // Leave the cluster whole for whatever runs after this test.
      await ensureRunning(gateway);
    }
  });
}
