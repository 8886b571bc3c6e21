import { after, before, describe } from 'node:test';
import { crossGatewayTests } from './cross/gateways.js';
import { redisFailoverTests } from './faults/redis-failover.js';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';
import { type OwnRedisCluster, startRedisCluster } from './harness/redis-cluster.js';
import { relaySuite } from './suite/index.js';

// The cluster on a Redis Cluster (REDIS_CLUSTER_NODES; 3 masters + 3 replicas of our own, one
// for the whole file, each relay on its own prefix): the black-box suite through HAProxy, the
// cross-gateway and no-loss-at-the-seam tests, then a master SIGKILLed mid-stream (last: it
// leaves the cluster failed over).

let redisCluster: OwnRedisCluster | undefined;
const shared = (): OwnRedisCluster => {
  if (redisCluster === undefined) throw new Error('Redis Cluster not started (its before hook failed)');
  return redisCluster;
};
before(
  async () => {
    redisCluster = await startRedisCluster();
  },
  { timeout: 90_000 },
);
after(async () => redisCluster?.stop(), { timeout: 30_000 });

relaySuite('cluster on a Redis Cluster', (opts) =>
  startClusterRelay({ env: opts?.env, redisCluster: shared() }),
);

describe('cluster on a Redis Cluster: across gateways, failover', () => {
  let cluster: ClusterRelay | undefined;
  const relay = (): ClusterRelay => {
    if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
    return cluster;
  };
  before(
    async () => {
      cluster = await startClusterRelay({
        gateways: 2,
        redisCluster: shared(),
        env: {
          INGEST_REPLY_TIMEOUT_MS: '5000',
          // A failover stops a shard's live feed for a few seconds: the subscribers stay connected
          // through it (the watchdog's own test covers closing them), so the test sees delivery resume.
          FANOUT_LOSS_GRACE_MS: '60000',
        },
      });
    },
    { timeout: 90_000 },
  );
  after(async () => cluster?.stop(), { timeout: 60_000 });

  crossGatewayTests('across gateways', {
    gwA: () => relay().gatewayUrls[0]!,
    gwB: () => relay().gatewayUrls[1]!,
  });
  redisFailoverTests(relay);
});
