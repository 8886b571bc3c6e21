import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RawClient } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { eventStream, storedIds } from '../harness/accounting.js';
import { FrameTally } from '../harness/tally.js';
import { httpStatus, waitForReady, waitUntil } from '../harness/wait.js';
import { windowSample } from '../suite/hot-window-probes.js';
import { type FaultCluster, REPLY_TIMEOUT_MS } from './cluster.js';

/**
 * The gateway's defaults (libs/config settings.ts): FANOUT_HEARTBEAT_MS, _TIMEOUT_MS and
 * FANOUT_LOSS_GRACE_MS. Out of service within grace + heartbeat of the first unanswered PING.
 */
const HEARTBEAT_MS = 1000;
const LOSS_GRACE_MS = 5000;
/** Bound on noticing the loss and closing the clients: grace, a beat, the in-flight OKs, slack. */
const OUT_WITHIN_MS = LOSS_GRACE_MS + HEARTBEAT_MS + REPLY_TIMEOUT_MS + 10_000;

/** One series of a Prometheus page (0 when absent). */
async function metric(http: string, series: string): Promise<number> {
  const page = await (await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Frames of `client` as [verb, …] for the ones a lost feed sends, in order. */
function farewell(client: RawClient): string[] {
  return client.messages
    .filter((m) => m[0] === 'CLOSED' || m[0] === 'NOTICE')
    .map((m) => (m[0] === 'CLOSED' ? `CLOSED ${String(m[1])}` : 'NOTICE'));
}

/**
 * A silently lost link to Redis (issue 14), simulated on loopback by SIGSTOP of the cluster's
 * private redis-server: PINGs hang as on a cut link and no connection drops. Both gateways
 * share that Redis, so both lose their live feed: each reports not ready past the grace, tells
 * its clients (CLOSED for each subscription, a NOTICE, then 1001) and refuses upgrades; after
 * SIGCONT each is ready again and every EVENT answered OK true during or after is stored.
 */
export function fanoutLossTests(cluster: FaultCluster): void {
  const { relay, gwA, gwB, readyzOfIngest } = cluster;
  it('fanout lost (Redis frozen): not ready, clients told and closed 1001, ready again, nothing OK lost', {
    timeout: 180_000,
  }, async (t) => {
    const own = relay().redis;
    assert.ok(own?.process.pid !== undefined, 'the fault cluster runs its own redis-server');
    const redisPid = own.process.pid;
    const httpA = gwA().replace(/^ws/, 'http');
    const { filter, events } = eventStream(40, 'fanout-loss');
    let next = 0;
    const sub = await RawClient.open(gwA());
    const pub = await RawClient.open(gwA());
    const tally = new FrameTally(pub);
    const colds = (await windowSample(httpA)).colds;
    const closesBefore = await metric(httpA, 'nrelay_fanout_loss_disconnects_total');
    let frozen = false;
    try {
      assert.equal((await sub.query([filter], { subId: 'live-1', keepOpen: true })).end, 'EOSE');
      assert.equal((await sub.query([{ kinds: [1] }], { subId: 'live-2', keepOpen: true })).end, 'EOSE');
      const first = events[next++]!;
      assert.equal((await pub.publish(first)).ok, true);
      await sub.nextEvent('live-1', first.id, 0, 10_000);
      assert.equal(await metric(httpA, 'nrelay_fanout_lost'), 0, 'nrelay_fanout_lost before');

      process.kill(redisPid, 'SIGSTOP');
      frozen = true;
      const frozenAt = performance.now();
      // EVENTs in flight while Redis is frozen: their ingest job cannot even be queued, so the
      // gateway closes the connection without their OK once its wait (SHUTDOWN_GRACE_MS) is up;
      // the client sends them again after reconnecting, as it would.
      const during = events.slice(next, next + 5);
      next += during.length;
      for (const e of during) await pub.send(`["EVENT",${JSON.stringify(e)}]`);

      const notReadyAfter = await waitUntil(
        async () =>
          (await httpStatus(`${httpA}/readyz`)) === 503 ? performance.now() - frozenAt : undefined,
        { timeoutMs: OUT_WITHIN_MS, intervalMs: 100, what: 'gateway A /readyz 503 while Redis is frozen' },
      );
      assert.ok(
        notReadyAfter >= LOSS_GRACE_MS - HEARTBEAT_MS,
        `not ready after ${Math.round(notReadyAfter)} ms: before the grace`,
      );
      assert.equal(await metric(httpA, 'nrelay_fanout_lost'), 1, 'nrelay_fanout_lost while out');
      await assert.rejects(RawClient.open(gwA(), 3000), /503/, 'a new upgrade while out gets 503');

      // The subscriber has nothing in flight: it is closed at once; the publisher once its
      // EVENTs are answered or SHUTDOWN_GRACE_MS is up.
      const subClose = await sub.waitClose(OUT_WITHIN_MS);
      const subClosedAfter = Math.round(performance.now() - frozenAt);
      const pubClose = await pub.waitClose(OUT_WITHIN_MS);
      const pubClosedAfter = Math.round(performance.now() - frozenAt);
      assert.equal(subClose.code, 1001, `subscriber closed with ${subClose.code} "${subClose.reason}"`);
      assert.equal(pubClose.code, 1001, `publisher closed with ${pubClose.code} "${pubClose.reason}"`);
      assert.deepEqual(farewell(sub), ['CLOSED live-1', 'CLOSED live-2', 'NOTICE']);
      for (const m of sub.all('CLOSED')) {
        assert.match(String(m[2]), /^error: .*live feed.*reconnect/, `CLOSED reason: ${String(m[2])}`);
      }
      assert.match(String(sub.all('NOTICE')[0]?.[1]), /^error: .*live feed/, 'NOTICE text');
      tally.update();
      const twice = during.filter((e) => (tally.oks.get(e.id)?.length ?? 0) > 1);
      assert.deepEqual(twice, [], 'EVENTs answered twice');
      const okDuring = during.filter((e) => tally.oks.get(e.id)?.[0]?.ok === true);

      process.kill(redisPid, 'SIGCONT');
      frozen = false;
      const thawedAt = performance.now();
      await waitForReady(`${httpA}/readyz`, 30_000, 'gateway A after SIGCONT');
      const readyAfter = Math.round(performance.now() - thawedAt);
      assert.equal(await metric(httpA, 'nrelay_fanout_lost'), 0, 'nrelay_fanout_lost after');
      assert.ok(
        (await metric(httpA, 'nrelay_fanout_loss_disconnects_total')) >= closesBefore + 2,
        'nrelay_fanout_loss_disconnects counts the closed connections',
      );
      assert.ok((await windowSample(httpA)).colds > colds, 'the hot window went cold');
      for (const u of [...relay().gatewayUrls.map((g) => `${g.replace(/^ws/, 'http')}/readyz/write`)]) {
        await waitForReady(u, 30_000, 'after SIGCONT');
      }
      for (const [i] of relay().cluster.ingestWorkers.entries()) {
        await waitForReady(readyzOfIngest(i), 30_000, 'after SIGCONT');
      }

      // Served again: a new subscriber on A gets what is published on B live.
      const again = await RawClient.open(gwA());
      const pubB = await RawClient.open(gwB());
      try {
        assert.equal((await again.query([filter], { subId: 'again', keepOpen: true })).end, 'EOSE');
        const after = events.slice(next, next + 5);
        next += after.length;
        for (const e of after) assert.equal((await pubB.publish(e, 15_000)).ok, true, `publish ${e.id}`);
        // What got no OK true is sent again (it may have been stored meanwhile: duplicate).
        for (const e of during.filter((d) => !okDuring.includes(d))) {
          const ok = await again.publish(e, 15_000);
          assert.equal(ok.ok, true, `publish again ${e.id}: ${ok.raw}`);
        }
        for (const e of after) await again.nextEvent('again', e.id, 0, 10_000);
        const accepted: NostrEvent[] = [first, ...during, ...after];
        for (const url of [gwA(), gwB()]) {
          const stored = await storedIds(url, filter);
          const lost = accepted.filter((e) => !stored.has(e.id)).map((e) => e.id);
          assert.deepEqual(lost, [], `events OK'd true not found by a REQ on ${url}`);
        }
        t.diagnostic(
          `A not ready ${Math.round(notReadyAfter)} ms after SIGSTOP, subscriber closed ${subClosedAfter} ms after, publisher (EVENTs in flight) ${pubClosedAfter} ms after, ready ${readyAfter} ms after SIGCONT; OK during the freeze: ${okDuring.length}/${during.length} true, ${during.filter((e) => tally.oks.has(e.id)).length} answered`,
        );
      } finally {
        again.close();
        pubB.close();
      }
    } finally {
      if (frozen) process.kill(redisPid, 'SIGCONT');
      sub.close();
      pub.close();
    }
  });
}
