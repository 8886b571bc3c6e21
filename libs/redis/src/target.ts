/**
 * Where a deployment's Redis is: one server (REDIS_URL) or a Redis Cluster reached through seed
 * nodes (REDIS_CLUSTER_NODES). Every Redis user takes a target, never a URL, so the same code
 * runs on both; the few commands that differ (sharded pub/sub, BullMQ's hash-tagged prefix) ask
 * the target which one it is.
 */

/** One seed node of a Redis Cluster. */
export interface RedisClusterSeed {
  host: string;
  port: number;
}

/** A single Redis server, or a Redis Cluster through its seed nodes. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly seeds: readonly RedisClusterSeed[] };

/**
 * The target of the settings: a cluster when `clusterNodes` (REDIS_CLUSTER_NODES, `host:port`
 * items) is not empty, else the single server at `url` (REDIS_URL).
 */
export function redisTargetOf(url: string, clusterNodes: readonly string[] = []): RedisTarget {
  if (clusterNodes.length === 0) return { kind: 'single', url };
  return { kind: 'cluster', seeds: clusterNodes.map(parseSeed) };
}

function parseSeed(item: string): RedisClusterSeed {
  const at = item.lastIndexOf(':');
  const host = item.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(item.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`REDIS_CLUSTER_NODES: "${item}" is not host:port`);
  }
  return { host, port };
}

/** The target for log lines: the URL without its password, or the seeds. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'cluster') return `cluster ${target.seeds.map((s) => `${s.host}:${s.port}`).join(',')}`;
  try {
    const url = new URL(target.url);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'redis';
  }
}

/**
 * The BullMQ prefix of a deployment: on a cluster it is a hash tag (`{nrelay}`), because BullMQ's
 * Lua scripts touch several keys of a queue at once and a cluster runs a script only when all its
 * keys hash to one slot (BullMQ docs, "Redis Cluster"). The whole queue then lives on one shard.
 */
export function bullmqPrefixOf(target: RedisTarget, prefix: string): string {
  if (target.kind === 'single') return prefix;
  // A brace in the prefix would make another hash tag than the whole prefix.
  if (/[{}]/.test(prefix))
    throw new Error(`REDIS_PREFIX "${prefix}" must not contain { or } on a Redis Cluster`);
  return `{${prefix}}`;
}
