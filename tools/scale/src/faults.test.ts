/**
 * The cluster's fault cases across hosts (issue 14): three gateways, each in its own network
 * namespace behind HAProxy, one ingest worker, one query service, Redis in namespaces of their
 * own (topology.ts). One topology serves every test, in order; each restores what it broke.
 *
 * - ingest worker kill -9 mid-stream: every EVENT answered once, nothing answered OK true lost;
 * - gateway SIGTERM: its clients get 1001 and reconnect through HAProxy to another gateway;
 * - Redis restart: no gateway leaves service (Redis down is seen by all alike), live delivery
 *   resumes;
 * - the back link of one gateway cut (`ip link set … down`, packets vanish): that gateway goes
 *   not ready within grace + heartbeat timeout + a beat, its clients get CLOSED, NOTICE and
 *   1001 and reconnect through HAProxy to the others, which keep serving (publish and live
 *   delivery) throughout; once the link is back it is ready again; nothing answered OK true
 *   is lost (REQ by ids).
 *
 * Needs root (network namespaces), redis-server, HAProxy and Postgres binaries (pg_createcluster).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventStream, type NostrEvent, RawClient } from '@nrelay/testkit';
import {
  ENV,
  httpOf,
  missing,
  NOT_READY_WITHIN_MS,
  okTally,
  readyIs,
  reconnect,
  SLACK_MS,
  status,
  waitUntil,
} from './faults-fixtures.js';
import { startTopology, type Topology } from './topology.js';

describe('cluster faults across network namespaces (3 gateways behind HAProxy)', () => {
  let topology: Topology | undefined;
  const top = (): Topology => {
    assert.ok(topology, 'topology not started (its before hook failed)');
    return topology;
  };
  /** Every event answered OK true in any test: all must be found at the end. */
  const accepted: NostrEvent[] = [];

  before(
    async () => {
      topology = await startTopology({ gateways: 3, ingestWorkers: 1, queryServices: 1, env: ENV });
    },
    { timeout: 120_000 },
  );
  after(async () => topology?.cleanup(), { timeout: 90_000 });

  it('ingest worker kill -9 mid-stream: every EVENT answered once, every OK true stored', {
    timeout: 60_000,
  }, async (t) => {
    const { events } = eventStream(300, 'ingest-kill');
    const pub = await RawClient.open(top().url);
    try {
      let i = 0;
      const send = async (until: number) => {
        for (; i < until; i++) {
          await pub.send(`["EVENT",${JSON.stringify(events[i])}]`);
          await sleep(10);
        }
      };
      await send(100);
      await top().killIngest(0, 'SIGKILL');
      await send(200);
      await top().startService(top().ingestWorkers[0]!);
      await send(300);
      // Jobs of the killed worker run again within ~2 x INGEST_LOCK_MS; the rest are answered
      // within INGEST_REPLY_TIMEOUT_MS.
      const all = await waitUntil(
        async () => (okTally(pub).size === events.length ? okTally(pub) : undefined),
        30_000,
        'an OK for every EVENT',
      );
      const twice = [...all].filter(([, a]) => a.count > 1);
      assert.deepEqual(twice, [], 'EVENTs answered more than once');
      const ok = events.filter((e) => all.get(e.id)?.ok);
      accepted.push(...ok);
      assert.deepEqual(await missing(top().url, ok), [], 'OK true but not stored');
      t.diagnostic(`${ok.length} of ${events.length} OK true across the kill`);
    } finally {
      pub.close();
    }
  });

  it('gateway SIGTERM: its clients get 1001 and reconnect through HAProxy to another gateway', {
    timeout: 60_000,
  }, async () => {
    const { filter, events } = eventStream(2, 'gateway-term');
    const sub = await RawClient.open(top().gatewayUrls[0]!);
    try {
      assert.equal((await sub.query([filter], { subId: 's', keepOpen: true })).end, 'EOSE');
      const stopping = top().killGateway(0, 'SIGTERM');
      assert.equal((await sub.waitClose(20_000)).code, 1001);
      await stopping;
      const again = await reconnect(top().url, 'reconnecting through HAProxy after the SIGTERM');
      try {
        assert.equal((await again.query([filter], { subId: 's', keepOpen: true })).end, 'EOSE');
        const pub = await RawClient.open(top().url);
        try {
          for (const e of events) assert.equal((await pub.publish(e, 15_000)).ok, true);
          for (const e of events) await again.nextEvent('s', e.id, 0, 10_000);
          accepted.push(...events);
        } finally {
          pub.close();
        }
      } finally {
        again.close();
      }
    } finally {
      sub.close();
      if (top().gateways[0]!.pid === undefined) await top().startService(top().gateways[0]!);
    }
  });

  it('Redis restart: no gateway leaves service, live delivery resumes', { timeout: 60_000 }, async (t) => {
    const { filter, events } = eventStream(10, 'redis-restart');
    const subs = await Promise.all(top().gatewayUrls.map((u) => RawClient.open(u)));
    try {
      for (const s of subs)
        assert.equal((await s.query([filter], { subId: 's', keepOpen: true })).end, 'EOSE');
      await top().restartRedis(500);
      // Poll readiness while Redis comes back: a gateway that went out would be seen here.
      for (let k = 0; k < 30; k++) {
        for (const u of top().gatewayUrls)
          assert.equal(await status(`${httpOf(u)}/readyz`), 200, `${u} /readyz`);
        await sleep(200);
      }
      const pub = await RawClient.open(top().url);
      try {
        let tries = 0;
        for (const e of events) {
          // The first publishes may race the ingest worker's own reconnect.
          for (; ; tries++) {
            const ok = await pub.publish(e, 15_000);
            if (ok.ok) break;
            assert.ok(tries < 20, `no publish accepted after the Redis restart: ${ok.raw}`);
            await sleep(500);
          }
        }
        accepted.push(...events);
        for (const s of subs) for (const e of events) await s.nextEvent('s', e.id, 0, 10_000);
        t.diagnostic(`refused publishes after the restart: ${tries}`);
      } finally {
        pub.close();
      }
      for (const s of subs) assert.equal(s.closed, undefined, 'a connection was closed by the Redis restart');
    } finally {
      for (const s of subs) s.close();
    }
  });

  it('back link of gateway 1 cut: it goes not ready, tells and closes its clients; the others keep serving; nothing OK lost', {
    timeout: 120_000,
  }, async (t) => {
    const [gw0, gw1, gw2] = top().gatewayUrls as [string, string, string];
    const { filter, events } = eventStream(60, 'back-link-cut');
    let next = 0;
    const cutSub = await RawClient.open(gw0);
    const cutPub = await RawClient.open(gw0);
    const otherSub = await RawClient.open(gw1);
    const pub = await RawClient.open(gw2);
    let cut = false;
    try {
      assert.equal((await cutSub.query([filter], { subId: 'live', keepOpen: true })).end, 'EOSE');
      assert.equal((await otherSub.query([filter], { subId: 'live', keepOpen: true })).end, 'EOSE');
      const publish = async (n: number) => {
        const batch = events.slice(next, next + n);
        next += batch.length;
        for (const e of batch) {
          const ok = await pub.publish(e, 15_000);
          assert.equal(ok.ok, true, `publish on gateway 3: ${ok.raw}`);
          accepted.push(e);
        }
        return batch;
      };
      for (const e of await publish(5)) {
        await cutSub.nextEvent('live', e.id, 0, 10_000);
        await otherSub.nextEvent('live', e.id, 0, 10_000);
      }

      await top().cutBackLink(0);
      cut = true;
      const cutAt = performance.now();
      // EVENTs sent to the cut gateway cannot reach the queue: each gets at most one OK before
      // its connection closes (none, unless the link came back), and is sent again after.
      const stranded = events.slice(next, next + 3);
      next += stranded.length;
      for (const e of stranded) await cutPub.send(`["EVENT",${JSON.stringify(e)}]`);
      // The rest of the cluster keeps serving while gateway 1 notices: publish and live delivery.
      const during = await publish(10);
      for (const e of during) await otherSub.nextEvent('live', e.id, 0, 10_000);
      await readyIs(
        gw0,
        503,
        NOT_READY_WITHIN_MS + SLACK_MS,
        'gateway 1 not ready after its back link was cut',
      );
      const notReadyMs = Math.round(performance.now() - cutAt);
      // After its in-flight EVENTs' wait (SHUTDOWN_GRACE_MS, 10 s) at most.
      const closed = await cutSub.waitClose(30_000);
      const closedMs = Math.round(performance.now() - cutAt);
      assert.equal((await cutPub.waitClose(30_000)).code, 1001, 'the publisher on gateway 1 closed 1001');
      const pubClosedMs = Math.round(performance.now() - cutAt);
      assert.equal(closed.code, 1001, `gateway 1 closed its client with ${closed.code} "${closed.reason}"`);
      const told = cutSub.messages.filter((m) => m[0] === 'CLOSED' || m[0] === 'NOTICE');
      assert.deepEqual(
        told.map((m) => `${String(m[0])} ${m[0] === 'CLOSED' ? String(m[1]) : ''}`.trim()),
        ['CLOSED live', 'NOTICE'],
      );
      assert.match(String(told[0]?.[2]), /^error: /);
      for (const u of [gw1, gw2]) assert.equal(await status(`${httpOf(u)}/readyz`), 200, `${u} /readyz`);

      // Its client reconnects through HAProxy: served by another gateway, live included.
      const moved = await reconnect(top().url, 'the cut gateway client reconnecting through HAProxy');
      try {
        const answers = cutPub.all('OK');
        assert.ok(
          stranded.every((e) => answers.filter((m) => m[1] === e.id).length <= 1),
          'an EVENT answered twice',
        );
        for (const e of stranded) {
          if (answers.some((m) => m[1] === e.id && m[2] === true)) accepted.push(e);
          else {
            const ok = await moved.publish(e, 15_000);
            assert.equal(ok.ok, true, `sent again through HAProxy: ${ok.raw}`);
            accepted.push(e);
          }
        }
        const stored = await moved.query([filter], { subId: 'live', keepOpen: true });
        assert.equal(stored.end, 'EOSE', `REQ after reconnecting: ${stored.reason}`);
        const seen = new Set(stored.events.map((e) => e.id));
        assert.deepEqual(
          [...events.slice(0, next)].filter((e) => !seen.has(e.id)).map((e) => e.id),
          [],
          'events accepted before and during the cut, missing from the REQ after reconnecting',
        );
        for (const e of await publish(10)) {
          await moved.nextEvent('live', e.id, 0, 10_000);
          await otherSub.nextEvent('live', e.id, 0, 10_000);
        }
        // HAProxy stops routing to it (check inter 1s fall 2): from then on every new client
        // through HAProxy lands on a gateway still in service, and its publish is accepted.
        await waitUntil(
          async () => {
            for (let k = 0; k < 6; k++) (await RawClient.open(top().url, 5000)).close();
            return true;
          },
          15_000,
          'six new connections in a row through HAProxy accepted',
        );
        for (let k = 0; k < 6; k++) {
          const c = await RawClient.open(top().url, 5000);
          try {
            const e = events[next++]!;
            assert.equal((await c.publish(e, 15_000)).ok, true, 'a publish through HAProxy during the cut');
            accepted.push(e);
          } finally {
            c.close();
          }
        }
      } finally {
        moved.close();
      }

      await top().restoreBackLink(0);
      cut = false;
      const restoredAt = performance.now();
      await readyIs(gw0, 200, 30_000, 'gateway 1 ready again after its back link was restored');
      const readyMs = Math.round(performance.now() - restoredAt);
      const back = await RawClient.open(gw0);
      try {
        assert.equal((await back.query([filter], { subId: 'live', keepOpen: true })).end, 'EOSE');
        for (const e of await publish(5)) await back.nextEvent('live', e.id, 0, 10_000);
      } finally {
        back.close();
      }
      assert.deepEqual(await missing(top().url, accepted), [], 'events answered OK true but not found');
      assert.deepEqual(await missing(gw0, accepted), [], 'events answered OK true not found on gateway 1');
      t.diagnostic(
        `gateway 1 not ready ${notReadyMs} ms after the cut (bound ${NOT_READY_WITHIN_MS} ms + slack), its subscriber closed after ${closedMs} ms, its publisher after ${pubClosedMs} ms (stranded EVENTs answered: ${stranded.filter((e) => cutPub.all('OK').some((m) => m[1] === e.id)).length}/${stranded.length}), ready ${readyMs} ms after the restore; ${accepted.length} events OK true in this file, all found`,
      );
    } finally {
      if (cut) await top().restoreBackLink(0);
      cutSub.close();
      cutPub.close();
      otherSub.close();
      pub.close();
    }
  });
});
