import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connectTestRedis,
  eventually,
  killConnectionsNamed,
  recordingLogger,
  TEST_REDIS_TARGET,
  uniquePrefix,
} from '@nrelay/redis/testing';
import type { Redis } from 'ioredis';
import type { AccessChange } from './access-changes.js';
import { aclChannel, createRedisAccessChangeBus } from './redis-access-changes.js';

const channel = aclChannel(uniquePrefix());
let admin: Redis;

before(async () => {
  admin = await connectTestRedis();
});
after(() => {
  admin.disconnect();
});

function pair() {
  const logB = recordingLogger();
  const a = createRedisAccessChangeBus({ target: TEST_REDIS_TARGET, channel, logger: recordingLogger() });
  const b = createRedisAccessChangeBus({ target: TEST_REDIS_TARGET, channel, logger: logB });
  return { a, b, logB };
}

test('an announcement reaches every bus on the channel within a second; garbage is dropped', async () => {
  const { a, b, logB } = pair();
  try {
    await Promise.all([a.ready(), b.ready()]);
    assert.ok(a.isReady() && b.isReady());
    const gotA: AccessChange[] = [];
    const gotB: AccessChange[] = [];
    a.subscribe((c) => gotA.push(c));
    b.subscribe((c) => gotB.push(c));
    const started = Date.now();
    await admin.publish(channel, '{"v":7}');
    await a.publish({ v: 1, what: 'acl' });
    await eventually(() => gotA.length === 1 && gotB.length === 1, 1_000, 'delivery');
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual(gotB, [{ v: 1, what: 'acl' }]);
    assert.ok(logB.entries.some((e) => e.msg === 'dropped an undecodable access-change message'));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('after its subscriber reconnects, a bus tells its handlers to reload everything', async () => {
  const { a, b } = pair();
  try {
    await Promise.all([a.ready(), b.ready()]);
    const got: string[] = [];
    b.subscribe((c) => got.push(c.what));
    assert.equal(await killConnectionsNamed(admin, `acl-sub:${channel}`), 2);
    await eventually(() => got.includes('acl') && got.includes('follows'), 5_000, 'the reload request');
    await eventually(() => b.isReady(), 5_000, 'readiness');
    got.length = 0;
    await a.publish({ v: 1, what: 'follows' });
    await eventually(() => got.includes('follows'), 2_000, 'delivery after reconnect');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  assert.equal(a.isReady(), false);
});
