import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connectTestRedis,
  deleteKeys,
  eventually,
  killConnectionsNamed,
  recordingLogger,
  TEST_REDIS_TARGET,
  uniquePrefix,
} from '@nrelay/redis/testing';
import type { Redis } from 'ioredis';
import { encodeFanout } from './codec.js';
import { createRedisFanoutBus } from './redis.js';
import type { FanoutContinuity, FanoutMessage } from './seam.js';

/** Publishes here are never abandoned. */
const live = new AbortController().signal;

const prefix = uniquePrefix();
const channel = `${prefix}:fanout`;
let admin: Redis;

before(async () => {
  admin = await connectTestRedis();
});
after(async () => {
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

function message(n: number): FanoutMessage {
  const event = {
    id: n.toString(16).padStart(64, '0'),
    pubkey: 'p',
    created_at: n,
    kind: 1,
    tags: [],
    content: `#${n}`,
    sig: 's',
  };
  return { v: 1, event, raw: JSON.stringify(event), acceptedAt: 1_000 + n };
}

function busPair() {
  const logA = recordingLogger();
  const logB = recordingLogger();
  const a = createRedisFanoutBus({ target: TEST_REDIS_TARGET, channel, logger: logA });
  const b = createRedisFanoutBus({ target: TEST_REDIS_TARGET, channel, logger: logB });
  return { a, b, logA, logB };
}

test('a message published on one bus reaches the handlers of every bus on the channel', async () => {
  const { a, b } = busPair();
  try {
    await Promise.all([a.ready(), b.ready()]);
    assert.ok(a.isReady() && b.isReady());
    const gotA: FanoutMessage[] = [];
    const gotB: FanoutMessage[] = [];
    a.subscribe((m) => gotA.push(m));
    const offB = b.subscribe((m) => gotB.push(m));
    await a.publish(message(1), live);
    await eventually(() => gotA.length === 1 && gotB.length === 1, 2_000, 'delivery');
    assert.deepEqual(gotB[0], message(1));
    assert.equal(gotB[0]?.raw, message(1).raw);
    offB();
    await a.publish(message(2), live);
    await eventually(() => gotA.length === 2, 2_000, 'second delivery');
    assert.equal(gotB.length, 1);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('publishes of one turn leave as one Redis message and arrive as separate messages, in order', async () => {
  const { a, b } = busPair();
  const spy = await connectTestRedis();
  const payloads: string[] = [];
  spy.on('message', (_: string, payload: string) => payloads.push(payload));
  await spy.subscribe(channel);
  try {
    await Promise.all([a.ready(), b.ready()]);
    const got: FanoutMessage[] = [];
    b.subscribe((m) => got.push(m));
    const sent = Array.from({ length: 300 }, (_, i) => message(1_000 + i));
    await Promise.all(sent.map((m) => a.publish(m, live)));
    await eventually(() => got.length === 300, 2_000, 'all delivered');
    assert.deepEqual(got, sent);
    // 300 publishes in one turn: at most MAX_COALESCED (256) per Redis message.
    assert.equal(payloads.length, 2);
    // A lone publish is a plain message, as an older publisher would send it.
    await a.publish(message(7), live);
    await eventually(() => got.length === 301, 2_000, 'lone delivery');
    assert.equal(payloads.at(-1)?.includes('\0'), false);
    await assert.rejects(a.publish({ ...message(8), raw: '{"id":"\0"}' }, live), /NUL/);
  } finally {
    spy.disconnect();
    await Promise.all([a.close(), b.close()]);
  }
});

test('after its subscriber connection is killed, a bus reconnects, re-subscribes and logs it', async () => {
  const { a, b, logB } = busPair();
  try {
    await Promise.all([a.ready(), b.ready()]);
    const got = new Set<string>();
    b.subscribe((m) => got.add(m.event.id));
    assert.equal(await killConnectionsNamed(admin, `fanout-sub:${channel}`), 2);
    let n = 100;
    let last = message(n);
    // Messages sent while the subscriber is away are lost (pub/sub); keep sending until one lands.
    await eventually(
      async () => {
        last = message(++n);
        await a.publish(last, live);
        await new Promise((r) => setTimeout(r, 30));
        return got.has(last.event.id);
      },
      5_000,
      'delivery after reconnect',
    );
    assert.ok(b.isReady());
    assert.ok(logB.entries.some((e) => e.msg === 'redis connection lost; reconnecting'));
    assert.ok(logB.entries.some((e) => e.msg === 'redis reconnected'));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('an undecodable message is dropped with a warning; a throwing handler does not stop the others', async () => {
  const { a, b, logB } = busPair();
  try {
    await Promise.all([a.ready(), b.ready()]);
    const got: string[] = [];
    b.subscribe(() => {
      throw new Error('boom');
    });
    b.subscribe((m) => got.push(m.event.id));
    await admin.publish(channel, '{"v":9,"a":1}\n{}');
    await a.publish(message(7), live);
    await eventually(() => got.length === 1, 2_000, 'delivery');
    assert.ok(
      logB.entries.some((e) => e.level === 'warn' && e.msg === 'dropped an undecodable fanout message'),
    );
    assert.ok(logB.entries.some((e) => e.level === 'error' && e.msg === 'fanout handler threw'));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('close() quits both connections; publish honours an aborted signal', async () => {
  const { a, b } = busPair();
  await Promise.all([a.ready(), b.ready()]);
  const aborted = AbortSignal.abort(new Error('stop'));
  await assert.rejects(a.publish(message(1), aborted), /stop/);
  await Promise.all([a.close(), b.close()]);
  assert.equal(a.isReady(), false);
  await eventually(
    async () => !String(await admin.client('LIST')).includes(channel),
    2_000,
    'connections gone',
  );
});

test('continuity: broken when its subscriber connection is killed, restored when it is back; later messages arrive', async () => {
  // Its own channel, and publishes from the admin connection: the bus's subscriber is then the
  // one connection named fanout-sub:<channel>, so the kill touches nothing else.
  const own = `${prefix}:continuity`;
  const bus = createRedisFanoutBus({ target: TEST_REDIS_TARGET, channel: own, logger: recordingLogger() });
  try {
    await bus.ready();
    const states: FanoutContinuity[] = [];
    const got = new Set<string>();
    bus.watchContinuity((state) => states.push(state));
    bus.subscribe((m) => got.add(m.event.id));
    await admin.publish(own, encodeFanout(message(300)));
    await eventually(() => got.has(message(300).event.id), 2_000, 'delivery before the kill');
    assert.deepEqual(states, [], 'nothing to tell while connected');
    assert.equal(await killConnectionsNamed(admin, `fanout-sub:${own}`), 1);
    await eventually(() => states.length >= 2, 5_000, 'broken, then restored');
    assert.deepEqual(states, ['broken', 'restored']);
    assert.ok(bus.isReady());
    await admin.publish(own, encodeFanout(message(301)));
    await eventually(() => got.has(message(301).event.id), 2_000, 'delivery after restored');
    assert.deepEqual(states, ['broken', 'restored'], 'one gap, told once');
  } finally {
    await bus.close();
  }
});
