/**
 * The Redis FanoutBus on a real Redis Cluster (3 masters + 3 replicas of our own): the
 * conformance suite unchanged, then what sharding adds: partitions spread over the masters,
 * coalescing per partition, fence across every shard, and a killed shard subscriber as a gap.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectRedis, openSubscription, type RedisClient } from '@nrelay/redis';
import {
  eventually,
  killConnectionsNamed,
  recordingLogger,
  slotOf,
  spreadChannels,
  startTestRedisCluster,
  type TestRedisCluster,
  uniquePrefix,
} from '@nrelay/redis/testing';
import { Redis } from 'ioredis';
import { fanoutConformance } from './conformance.js';
import { createRedisFanoutBus, fanoutPartitionOf } from './redis.js';
import type { FanoutContinuity, FanoutMessage } from './seam.js';

const PARTITIONS = 16;
const live = new AbortController().signal;
const prefix = uniquePrefix();
let cluster: TestRedisCluster;
let media = 0;

before(async () => {
  cluster = await startTestRedisCluster();
});
after(async () => {
  topologyClient?.disconnect();
  await cluster?.stop();
});

/** A cluster connection whose slot map tells the spy's subscription where each channel lives. */
let topologyClient: RedisClient | undefined;
function topology(): RedisClient {
  topologyClient ??= connectRedis(cluster.target, 'spy-topology', recordingLogger());
  return topologyClient;
}

function bus(channel: string, logger = recordingLogger()) {
  return createRedisFanoutBus({ target: cluster.target, channel, partitions: PARTITIONS, logger });
}

fanoutConformance('redis cluster, sharded', async (count) => {
  const channel = `${prefix}:fanout:${media++}`;
  const buses = Array.from({ length: count }, () => bus(channel));
  await Promise.all(buses.map((b) => b.ready()));
  return { buses, close: async () => void (await Promise.all(buses.map((b) => b.close()))) };
});

/** A message of author `author` (any hex), numbered `n`. */
function message(n: number, author: number): FanoutMessage {
  const event = {
    id: n.toString(16).padStart(64, '0'),
    pubkey: ((author * 2_654_435_761) >>> 0).toString(16).padStart(8, '0').repeat(8),
    created_at: n,
    kind: 1,
    tags: [],
    content: `#${n}`,
    sig: 's',
  };
  return { v: 1, event, raw: JSON.stringify(event), acceptedAt: 1_000 + n };
}

test('the partitions spread over the three masters; every author keeps one partition', async (t) => {
  const channels = spreadChannels(`${prefix}:fanout:spread`, PARTITIONS);
  const masters = await Promise.all(channels.map((c) => cluster.masterOf(slotOf(c))));
  const perMaster = new Map<number, number>();
  for (const m of masters) perMaster.set(m, (perMaster.get(m) ?? 0) + 1);
  assert.equal(perMaster.size, 3, 'every master carries partitions');
  // Messages per shard for 30 000 random-looking authors, one message each.
  const messages = new Map<number, number>();
  for (let author = 0; author < 30_000; author++) {
    const p = fanoutPartitionOf(message(author, author)) % PARTITIONS;
    const master = masters[p] as number;
    messages.set(master, (messages.get(master) ?? 0) + 1);
  }
  t.diagnostic(`partitions per master: ${[...perMaster.values()].join(' / ')}`);
  t.diagnostic(`messages per master (30000 authors): ${[...messages.values()].join(' / ')}`);
  for (const n of messages.values()) assert.ok(n > 30_000 / 3 / 2, 'no master gets less than half its share');
});

test('publishes of one turn leave as one message per partition, in order per author, and fence covers every shard', async () => {
  const channel = `${prefix}:fanout:coalesce`;
  const a = bus(channel);
  const b = bus(channel);
  const raw: string[] = [];
  const spy = openSubscription(cluster.target, topology(), {
    role: 'spy',
    channels: spreadChannels(channel, PARTITIONS),
    logger: recordingLogger(),
    onMessage: (from) => raw.push(from),
  });
  try {
    await Promise.all([a.ready(), b.ready(), spy.ready()]);
    const got: FanoutMessage[] = [];
    b.subscribe((m) => got.push(m));
    const sent = Array.from({ length: 200 }, (_, n) => message(n, n % 40));
    await Promise.all(sent.map((m) => a.publish(m, live)));
    await b.fence();
    assert.equal(got.length, sent.length, 'fence: every message published before it was delivered');
    await spy.fence();
    const partitions = new Set(sent.map((m) => fanoutPartitionOf(m) % PARTITIONS));
    assert.equal(raw.length, partitions.size, 'one Redis message per partition used');
    assert.ok(partitions.size > 3, 'the messages spread over several partitions');
    for (let author = 0; author < 40; author++) {
      const mine = (list: FanoutMessage[]) =>
        list.filter((m) => m.event.pubkey === message(0, author).event.pubkey).map((m) => m.event.id);
      assert.deepEqual(mine(got), mine(sent), `author ${author} in publish order`);
    }
  } finally {
    await Promise.all([a.close(), b.close(), spy.close()]);
  }
});

test('continuity: a killed shard subscriber is a gap (broken, then restored) and delivery resumes on every partition', async () => {
  const channel = `${prefix}:fanout:continuity`;
  const a = bus(channel);
  const b = bus(channel);
  try {
    await Promise.all([a.ready(), b.ready()]);
    const states: FanoutContinuity[] = [];
    const got = new Set<string>();
    b.watchContinuity((s) => states.push(s));
    b.subscribe((m) => got.add(m.event.id));
    // Kill b's subscriber on the master of partition 0 (a's too: both are named alike).
    const master = await cluster.masterOf(slotOf(spreadChannels(channel, PARTITIONS)[0] as string));
    const admin = new Redis({ host: '127.0.0.1', port: master, lazyConnect: true });
    await admin.connect();
    try {
      assert.equal(await killConnectionsNamed(admin, `fanout-sub:${channel}`), 2);
    } finally {
      admin.disconnect();
    }
    await eventually(() => states.length >= 2, 10_000, 'broken, then restored');
    assert.deepEqual(states, ['broken', 'restored']);
    assert.ok(b.isReady());
    const after = Array.from({ length: 64 }, (_, n) => message(1_000 + n, n));
    await Promise.all(after.map((m) => a.publish(m, live)));
    await b.fence();
    for (const m of after) assert.ok(got.has(m.event.id), 'delivered after restored');
    assert.deepEqual(states, ['broken', 'restored'], 'one gap, told once');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('failover: publishes to a killed master are retried in order and each settles within FANOUT_PUBLISH_RETRY_MS', async (t) => {
  const RETRY_MS = 5_000;
  const channel = `${prefix}:fanout:failover`;
  const a = createRedisFanoutBus({
    target: cluster.target,
    channel,
    partitions: PARTITIONS,
    publishRetryMs: RETRY_MS,
    logger: recordingLogger(),
  });
  const b = bus(channel);
  const author = 7;
  const partition = fanoutPartitionOf(message(0, author)) % PARTITIONS;
  const master = await cluster.masterOf(slotOf(spreadChannels(channel, PARTITIONS)[partition] as string));
  try {
    await Promise.all([a.ready(), b.ready()]);
    const got: number[] = [];
    b.subscribe((m) => got.push(m.event.created_at));
    const settled: Array<Promise<{ n: number; ok: boolean; ms: number }>> = [];
    let n = 0;
    const publishFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const m = message(n++, author);
        const started = Date.now();
        settled.push(
          a.publish(m, live).then(
            () => ({ n: m.event.created_at, ok: true, ms: Date.now() - started }),
            () => ({ n: m.event.created_at, ok: false, ms: Date.now() - started }),
          ),
        );
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await publishFor(300);
    await cluster.kill(master);
    await publishFor(1_000);
    await cluster.waitHealthy();
    await eventually(() => b.isReady(), 10_000, 'the subscriber follows the failover');
    const firstAfter = n;
    await publishFor(300);
    const outcomes = await Promise.all(settled);
    await b.fence();
    const failed = outcomes.filter((o) => !o.ok).length;
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    t.diagnostic(`published ${n}, rejected ${failed}, received ${got.length}, slowest settle ${slowest} ms`);
    // One backoff (≤ 250 ms) past the bound at most; the retry stops at the bound, not after it.
    assert.ok(slowest <= RETRY_MS + 500, 'every publish resolved or rejected within the bound');
    assert.equal(failed, 0, 'a failover shorter than the bound loses no publish');
    assert.deepEqual(
      got,
      [...got].sort((x, y) => x - y),
      'received in publish order',
    );
    for (let k = firstAfter; k < n; k++) assert.ok(got.includes(k), `#${k} (after the failover) delivered`);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await cluster.restart(master);
    await cluster.waitHealthy();
  }
});

test('failover: past FANOUT_PUBLISH_RETRY_MS a publish to a killed master rejects, within the bound', async (t) => {
  const RETRY_MS = 300;
  const channel = `${prefix}:fanout:failover-bound`;
  const a = createRedisFanoutBus({
    target: cluster.target,
    channel,
    partitions: PARTITIONS,
    publishRetryMs: RETRY_MS,
    logger: recordingLogger(),
  });
  const author = 11;
  const partition = fanoutPartitionOf(message(0, author)) % PARTITIONS;
  const master = await cluster.masterOf(slotOf(spreadChannels(channel, PARTITIONS)[partition] as string));
  try {
    await a.ready();
    await cluster.kill(master);
    // The failover takes ≈ 2 s (node timeout 1 s plus the election): longer than the bound.
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, n) => {
        const started = Date.now();
        return a.publish(message(n, author), live).then(
          () => ({ ok: true, ms: Date.now() - started }),
          () => ({ ok: false, ms: Date.now() - started }),
        );
      }),
    );
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    t.diagnostic(`rejected ${outcomes.filter((o) => !o.ok).length} of 10, slowest settle ${slowest} ms`);
    assert.ok(
      outcomes.every((o) => !o.ok),
      'rejected: the master is still dead',
    );
    assert.ok(slowest <= RETRY_MS + 500, 'settled within the bound');
  } finally {
    await a.close();
    await cluster.restart(master);
    await cluster.waitHealthy();
  }
});
