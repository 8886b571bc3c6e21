import assert from 'node:assert/strict';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { it } from 'node:test';
import { RawClient } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { eventStream } from '../harness/accounting.js';
import { RespClient } from '../harness/redis.js';
import { waitUntil } from '../harness/wait.js';
import { moved, type WindowSample, windowSample } from '../suite/hot-window-probes.js';
import { ensureRunning, type FaultCluster } from './cluster.js';

/** The local TCP ports of the sockets process `pid` holds (its fd links, then the tcp tables). */
async function localPorts(pid: number): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/**
 * The fanout subscriber connection of process `pid` on Redis. Every gateway and ingest worker
 * names its subscriber `fanout-sub:<prefix>:fanout` (libs/redis pubsub-channel.ts), so the
 * connections are told apart by their client port, matched against the process's sockets.
 */
async function fanoutSubscriberOf(redis: RespClient, prefix: string, pid: number) {
  const name = `fanout-sub:${prefix}:fanout`;
  const clients = String(await redis.command(['CLIENT', 'LIST']))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .map((kv) => kv.split(/=(.*)/s, 2)),
      ),
    );
  const named = clients.filter((c) => c.name === name);
  const ports = await localPorts(pid);
  const own = named.filter((c) => ports.has(Number(String(c.addr).split(':').at(-1))));
  assert.equal(own.length, 1, `${name} connections of pid ${pid}: ${JSON.stringify(own)} of ${named.length}`);
  return { id: String(own[0]!.id), named: named.length };
}

/** The ids of `events` missing from a REQ of `filter` on `url`, with the REQ's answer count. */
async function missingOn(url: string, filter: object, events: readonly NostrEvent[]): Promise<string[]> {
  const c = await RawClient.open(url);
  try {
    const r = await c.query([{ ...filter, limit: 5000 }], { timeoutMs: 15_000 });
    assert.equal(r.end, 'EOSE', `REQ on ${url} was CLOSED: ${r.reason}`);
    const got = new Set(r.events.map((e) => e.id));
    return events.filter((e) => !got.has(e.id)).map((e) => e.id);
  } finally {
    c.close();
  }
}

/** Publishes `events` at once on `pub` and returns those answered OK true. */
async function publishBurst(pub: RawClient, events: readonly NostrEvent[]): Promise<NostrEvent[]> {
  const replies = await Promise.all(events.map((e) => pub.publish(e, 15_000)));
  return events.filter((_, i) => replies[i]!.ok);
}

/**
 * A fanout gap on one gateway (issue 12): only gateway 1's fanout subscriber is killed on Redis
 * (CLIENT KILL), so what gateway 2 stores meanwhile never reaches gateway 1's hot window over
 * the fanout. Its window must go cold at once and re-warm from the store once re-subscribed:
 * a REQ on gateway 1 returns every event that got OK true, before and after the re-warm.
 */
export function hotWindowGapTests(cluster: FaultCluster): void {
  const { relay, gwA, gwB } = cluster;
  it('hot window: a fanout gap on gateway 1 loses no accepted event; the window re-warms', {
    timeout: 90_000,
  }, async (t) => {
    const gw1 = relay().cluster.gateways[0]!;
    await ensureRunning(gw1);
    const [http1, http2] = [gwA(), gwB()].map((u) => u.replace(/^ws/, 'http')) as [string, string];
    const hotOn = (http: string, after?: WindowSample) =>
      waitUntil(
        async () => {
          const s = await windowSample(http);
          return s.hot === 1 && s.warmups > (after?.warmups ?? -1) ? s : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50, what: `the hot window of ${http} hot` },
      );
    await hotOn(http1);
    await hotOn(http2);
    const { filter, events } = eventStream(60, 'hot-window-gap');
    const redis = await RespClient.open(relay().redisUrl);
    const pub = await RawClient.open(gwB());
    try {
      const sub = await fanoutSubscriberOf(redis, relay().redisPrefix, gw1.pid!);
      const [before1, before2] = [await windowSample(http1), await windowSample(http2)];
      assert.equal(await redis.command(['CLIENT', 'KILL', 'ID', sub.id]), 1, 'CLIENT KILL');
      const during = await publishBurst(pub, events.slice(0, 30));
      const missingAtOnce = await missingOn(gwA(), filter, during);
      const atOnce = await windowSample(http1);
      assert.deepEqual(
        missingAtOnce,
        [],
        `events OK'd on gateway 2 missing on gateway 1 right after (${JSON.stringify(moved(before1, atOnce))})`,
      );

      const rewarmed = await hotOn(http1, before1);
      assert.ok(moved(before1, rewarmed).colds >= 1, 'gateway 1 window never went cold');
      assert.equal(moved(before2, await windowSample(http2)).colds, 0, 'gateway 2 window went cold too');
      const back = await fanoutSubscriberOf(redis, relay().redisPrefix, gw1.pid!);
      assert.notEqual(back.id, sub.id, 'gateway 1 fanout subscriber did not reconnect');

      const hot = await windowSample(http1);
      assert.deepEqual(await missingOn(gwA(), filter, during), [], 'missing on gateway 1 after the re-warm');
      const d = moved(hot, await windowSample(http1));
      assert.deepEqual(
        [d.window, d.query],
        [1, 0],
        'the REQ after the re-warm was not answered from the window',
      );

      // The re-subscribed fanout feeds the window again: a watcher on gateway 1 sees the rest live.
      const watcher = await RawClient.open(gwA());
      try {
        assert.equal((await watcher.query([filter], { subId: 'w', keepOpen: true })).end, 'EOSE');
        const later = await publishBurst(pub, events.slice(30));
        for (const e of later) await watcher.nextEvent('w', e.id, 0, 10_000);
        const fed = await windowSample(http1);
        assert.deepEqual(await missingOn(gwA(), filter, [...during, ...later]), [], 'missing after the gap');
        const f = moved(fed, await windowSample(http1));
        assert.deepEqual([f.window, f.query, f.colds], [1, 0, 0], 'window, query, colds after the gap');
        t.diagnostic(
          `${sub.named} fanout subscribers on Redis; accepted ${during.length} during the gap, ${later.length} after; gateway 1 re-warm: ${JSON.stringify(moved(before1, rewarmed))}`,
        );
      } finally {
        watcher.close();
      }
    } finally {
      pub.close();
      redis.close();
    }
  });
}
