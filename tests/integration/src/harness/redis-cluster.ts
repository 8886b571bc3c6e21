/**
 * A private Redis Cluster for integration tests: 3 masters + 3 replicas, each a `redis-server
 * --cluster-enabled yes` of ours on free loopback ports in a temp dir, joined by `redis-cli
 * --cluster create --cluster-replicas 1` and waited on until every node says cluster_state:ok
 * (libs/redis testing/cluster.ts does the work). `stop()` kills them by PID and removes the dir;
 * a failed start cleans up before it throws.
 */
import { slotOf, startTestRedisCluster, type TestRedisCluster } from '@nrelay/redis/testing';

/** The slots a fresh 3-master cluster gives master i (redis-cli splits 16384 in three). */
const FIRST_SLOT_OF_MASTER = [0, 5461, 10923] as const;

/** A running private Redis Cluster, with the failover helpers the fault tests need. */
export interface OwnRedisCluster extends TestRedisCluster {
  /** REDIS_CLUSTER_NODES for the services: every node's `127.0.0.1:<port>`. */
  readonly nodes: readonly string[];
  /** SIGKILLs the master that owns `key`'s slot now (its replica takes over); returns its port. */
  killMasterOf(key: string): Promise<number>;
  /** SIGKILLs master i (0-2: the owner of the i-th third of the slots now); returns its port. */
  killMaster(i: number): Promise<number>;
}

/** Starts a private Redis Cluster of 3 masters and 3 replicas. */
export async function startRedisCluster(): Promise<OwnRedisCluster> {
  const cluster = await startTestRedisCluster();
  const killSlotOwner = async (slot: number) => {
    const port = await cluster.masterOf(slot);
    await cluster.kill(port);
    return port;
  };
  return {
    ...cluster,
    killMasterOf: (key) => killSlotOwner(slotOf(key)),
    killMaster: (i) => killSlotOwner(FIRST_SLOT_OF_MASTER[i as 0 | 1 | 2] ?? 0),
  };
}
