import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CLUSTER_SLOTS, slotOf, spreadChannels } from './slot.js';
import { bullmqPrefixOf, redisTargetOf } from './target.js';
import { startTestRedisCluster, type TestRedisCluster } from './testing/cluster.js';

let cluster: TestRedisCluster;
before(async () => {
  cluster = await startTestRedisCluster();
});
after(async () => {
  await cluster?.stop();
});

test('slotOf agrees with CLUSTER KEYSLOT, hash tags included', async () => {
  const port = cluster.members[0]!.port;
  const names = [
    'foo',
    'nrelay:fanout',
    '{nrelay}:ingest:wait',
    'a{b}c',
    'a{}b',
    'x{y}{z}',
    'ünïcode{täg}',
    '{',
    '}{a}',
    ...spreadChannels('p:fanout', 16),
  ];
  for (const name of names) {
    assert.equal(slotOf(name), Number((await cluster.cli(port, 'CLUSTER', 'KEYSLOT', name)).trim()), name);
  }
});

test('spreadChannels puts channel i in the i-th of n equal slot ranges, the same names every time', () => {
  for (const n of [1, 3, 16, 100]) {
    const channels = spreadChannels('base', n);
    assert.equal(new Set(channels).size, n);
    channels.forEach((channel, i) => {
      const slot = slotOf(channel);
      assert.ok(
        slot >= Math.floor((i * CLUSTER_SLOTS) / n) && slot < Math.floor(((i + 1) * CLUSTER_SLOTS) / n),
      );
      assert.ok(channel.startsWith('base:{'));
    });
    assert.deepEqual(spreadChannels('base', n), channels);
  }
});

test('redisTargetOf: REDIS_URL alone is a single server; REDIS_CLUSTER_NODES makes a cluster; bad seeds are refused', () => {
  assert.deepEqual(redisTargetOf('redis://h:1'), { kind: 'single', url: 'redis://h:1' });
  assert.deepEqual(redisTargetOf('redis://h:1', ['10.0.0.1:7000', '[::1]:7001']), {
    kind: 'cluster',
    seeds: [
      { host: '10.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
    ],
  });
  assert.throws(() => redisTargetOf('redis://h:1', ['nohost']), /REDIS_CLUSTER_NODES/);
  assert.throws(() => redisTargetOf('redis://h:1', ['h:99999']), /REDIS_CLUSTER_NODES/);
});

test('bullmqPrefixOf: the prefix as is on one server, a {hash tag} of it on a cluster; braces refused there', () => {
  const cluster = redisTargetOf('redis://h:1', ['h:7000']);
  assert.equal(bullmqPrefixOf(redisTargetOf('redis://h:1'), 'nrelay'), 'nrelay');
  assert.equal(bullmqPrefixOf(cluster, 'nrelay'), '{nrelay}');
  assert.throws(() => bullmqPrefixOf(cluster, 'a{b}'), /REDIS_PREFIX/);
});
