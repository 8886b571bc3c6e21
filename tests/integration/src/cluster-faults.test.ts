import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceProcess } from '@nrelay/devcluster';
import type { NostrEvent } from 'nostr-tools/pure';
import { storedIds, eventStream as stream, summarizeOks as summarize } from './harness/accounting.js';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';
import { newKeys, signEvent } from './harness/events.js';
import { RawClient } from './harness/raw-client.js';
import { FrameTally } from './harness/tally.js';
import { httpStatus, waitForReady, waitUntil } from './harness/wait.js';

// Faults of one process at a time in a running two-gateway cluster: the ingest worker killed,
// the query service stopped, Redis restarted, a gateway stopped. One cluster serves all four,
// in this order, each test restoring what it broke; it runs on a private redis-server (never
// the machine's shared one) so the Redis test may kill it.

/** OK false `error:` after this long is the accepted answer for an EVENT caught in a crash. */
const REPLY_TIMEOUT_MS = 5000;

let cluster: ClusterRelay | undefined;
const relay = (): ClusterRelay => {
  if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
  return cluster;
};
const gwA = (): string => relay().gatewayUrls[0]!;
const gwB = (): string => relay().gatewayUrls[1]!;

before(
  async () => {
    cluster = await startClusterRelay({
      gateways: 2,
      ownRedis: true,
      // A killed worker's jobs run again within ~2 x INGEST_LOCK_MS once a worker is back.
      env: { INGEST_REPLY_TIMEOUT_MS: String(REPLY_TIMEOUT_MS), INGEST_LOCK_MS: '3000' },
    });
  },
  { timeout: 90_000 },
);
after(async () => cluster?.stop(), { timeout: 60_000 });

/** Starts `service` again if a failed test left it stopped, and waits for its readiness. */
async function ensureRunning(service: ServiceProcess): Promise<void> {
  if (service.pid === undefined) await service.start(30_000);
}

describe('cluster faults', () => {
  it('ingest worker killed (-9) mid-stream and restarted: every EVENT gets one OK, every OK true is stored', {
    timeout: 120_000,
  }, async (t) => {
    const ingest = relay().cluster.ingestWorkers[0]!;
    const BURST = 5;
    const EVERY_MS = 25;
    const DURATION_MS = 5000;
    const KILL_AT_MS = 1500;
    // Steady traffic, plus a large burst right before the kill so that many jobs are in flight.
    const KILL_BURST = 300;
    const steady = (DURATION_MS / EVERY_MS) * BURST;
    const { filter, events } = stream(steady + KILL_BURST, 'ingest-kill');
    const pub = await RawClient.open(gwA());
    const tally = new FrameTally(pub);
    try {
      const start = performance.now();
      let killedAt = -1;
      let restartedAt = -1;
      let fault: Promise<void> | undefined;
      const send = (e: NostrEvent) => pub.send(`["EVENT",${JSON.stringify(e)}]`);
      for (let i = 0; i < steady; i += BURST) {
        const due = start + (i / BURST) * EVERY_MS;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        for (const e of events.slice(i, i + BURST)) await send(e);
        if (fault === undefined && performance.now() - start >= KILL_AT_MS) {
          for (const e of events.slice(steady)) await send(e);
          fault = (async () => {
            await sleep(30);
            killedAt = performance.now() - start;
            await ingest.kill();
            await sleep(1000);
            await ingest.start(30_000);
            restartedAt = performance.now() - start;
          })();
        }
      }
      await fault;
      const sentAll = performance.now() - start;
      // Every EVENT answered: at most the reply timeout after the last send, plus slack.
      await waitUntil(() => (tally.update().oks.size === events.length ? true : undefined), {
        timeoutMs: REPLY_TIMEOUT_MS + 15_000,
        what: `an OK for each of ${events.length} events (${summarize(tally.update(), events)})`,
      });
      // Late second answers would arrive within this margin (the reply channel, a retried job).
      await sleep(1500);
      await pub.barrier();
      tally.update();
      t.diagnostic(
        `killed at +${Math.round(killedAt)} ms, ready again at +${Math.round(restartedAt)} ms, last send at +${Math.round(sentAll)} ms; ${events.length} events: ${summarize(tally, events)}`,
      );
      assert.equal(pub.closed, undefined, 'the publishing connection was closed');
      const several = events.filter((e) => (tally.oks.get(e.id)?.length ?? 0) > 1);
      assert.deepEqual(
        several.map((e) => `${e.id}: ${JSON.stringify(tally.oks.get(e.id))}`),
        [],
        'events answered more than once',
      );
      const badRefusals = events.filter((e) => {
        const ok = tally.oks.get(e.id)![0]!;
        return !ok.ok && !ok.message.startsWith('error:');
      });
      assert.deepEqual(
        badRefusals.map((e) => `${e.id}: ${tally.oks.get(e.id)![0]!.message}`),
        [],
        'refusals other than error:',
      );
      const accepted = events.filter((e) => tally.oks.get(e.id)![0]!.ok).map((e) => e.id);
      assert.ok(accepted.length > 0, 'nothing was accepted at all');
      const stored = await storedIds(gwB(), filter);
      const lost = accepted.filter((id) => !stored.has(id));
      assert.deepEqual(
        lost,
        [],
        `events acknowledged OK true but not stored (${lost.length} of ${accepted.length})`,
      );
    } finally {
      pub.close();
      await ensureRunning(ingest);
    }
  });

  it('query service stopped: a REQ gets CLOSED error: within 10 s; after a restart REQs work again', {
    timeout: 90_000,
  }, async (t) => {
    const query = relay().cluster.queryServices[0]!;
    const urls = [relay().url, gwA(), gwB()];
    const clients = await Promise.all(urls.map((u) => RawClient.open(u)));
    try {
      for (const c of clients) assert.equal((await c.query([{ kinds: [1], limit: 1 }])).end, 'EOSE');
      await query.stop();
      const timings: string[] = [];
      for (const [i, c] of clients.entries()) {
        const began = performance.now();
        const r = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
        const ms = Math.round(performance.now() - began);
        timings.push(`${urls[i]}: ${r.end} "${r.reason}" after ${ms} ms`);
        assert.equal(r.end, 'CLOSED', `REQ through ${urls[i]} with the query service down ended with EOSE`);
        assert.ok(
          r.reason.startsWith('error:'),
          `CLOSED reason through ${urls[i]}: ${JSON.stringify(r.reason)}`,
        );
        // The connection stays usable for what does not need the query service.
        const e = signEvent(newKeys());
        const ok = await c.publish(e, 10_000);
        assert.equal(ok.ok, true, `publish through ${urls[i]} while the query service is down: ${ok.raw}`);
      }
      t.diagnostic(timings.join('; '));
      await query.start(30_000);
      for (const [i, c] of clients.entries()) {
        const r = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
        assert.equal(r.end, 'EOSE', `first REQ through ${urls[i]} after the restart: ${r.reason}`);
        assert.equal(r.events.length, 1, `first REQ through ${urls[i]} after the restart returned no event`);
      }
    } finally {
      for (const c of clients) c.close();
      await ensureRunning(query);
    }
  });

  it('query service frozen (SIGSTOP, accepts but never answers): a REQ gets CLOSED error: within 10 s', {
    timeout: 60_000,
  }, async (t) => {
    const query = relay().cluster.queryServices[0]!;
    const pid = query.pid;
    assert.ok(pid !== undefined, 'query service not running');
    const c = await RawClient.open(gwB());
    let frozen = false;
    try {
      assert.equal((await c.query([{ kinds: [1], limit: 1 }])).end, 'EOSE');
      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const began = performance.now();
      const r = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
      const ms = Math.round(performance.now() - began);
      t.diagnostic(`${r.end} "${r.reason}" after ${ms} ms (QUERY_TIMEOUT_MS default 5000)`);
      assert.equal(r.end, 'CLOSED', 'REQ with the query service frozen ended with EOSE');
      assert.ok(r.reason.startsWith('error:'), `CLOSED reason: ${JSON.stringify(r.reason)}`);
      process.kill(pid, 'SIGCONT');
      frozen = false;
      const again = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
      assert.equal(again.end, 'EOSE', `first REQ after SIGCONT: ${again.reason}`);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      c.close();
    }
  });

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
});

/** The readiness URL of ingest worker `i`. */
function readyzOfIngest(i: number): string {
  const health = relay().cluster.ingestWorkers[i]!.readyUrl;
  if (health === undefined) throw new Error(`ingest worker ${i} has no readiness URL`);
  return health;
}
