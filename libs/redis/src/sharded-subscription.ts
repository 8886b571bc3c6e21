import { type Cluster, Redis } from 'ioredis';
import { whenConnected } from './connection.js';
import { slotOf } from './slot.js';
import type { Subscription, SubscriptionOptions } from './subscription-api.js';

/** One subscriber connection to the master that owns some of the channels. */
interface Shard {
  node: string;
  channels: readonly string[];
  redis: Redis;
  subscribed: boolean;
}

/**
 * Backoff between attempts to (re)subscribe, e.g. while a failover elects a new master. Short:
 * a publisher's retried SPUBLISH reaches the promoted replica as soon as it is known, and what
 * it sends before the subscribers are back there is lost; an attempt costs a slot-map refresh
 * and a refused connection.
 */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 250;

/**
 * Sharded pub/sub (SSUBSCRIBE) over a Redis Cluster: one subscriber connection per master that
 * owns a slot of some channel, found through `cluster`'s slot map. A shard connection that drops
 * (its master died, was demoted, or lost the slot) is a gap: `onBroken`, then the slot map is
 * refreshed and the shard resubscribed on whoever owns the slot now, with backoff, until every
 * channel is subscribed again (`onRestored`). The cluster's periodic slot refresh also moves
 * channels whose slot changed owner without a dropped connection (resharding).
 *
 * Written here rather than with ioredis's `shardedSubscribers` because the seams need what that
 * hides: which connection carries which channel (for `fence`) and when a channel stopped being
 * delivered (a gap).
 */
export function openShardedSubscription(cluster: Cluster, options: SubscriptionOptions): Subscription {
  const { logger, role } = options;
  const slots = options.channels.map((channel) => ({ channel, slot: slotOf(channel) }));
  const shards = new Map<string, Shard>();
  let complete = false;
  let everComplete = false;
  let closed = false;
  let syncing = false;
  let again = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let markReady!: () => void;
  const readiness = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  /** The owner (master node key) of each channel's slot now, or undefined while unknown. */
  function owners(): Map<string, string[]> | undefined {
    const byNode = new Map<string, string[]>();
    for (const { channel, slot } of slots) {
      const node = cluster.slots[slot]?.[0];
      if (node === undefined) return undefined;
      const list = byNode.get(node) ?? [];
      list.push(channel);
      byNode.set(node, list);
    }
    return byNode;
  }

  function broken(why: string, node?: string): void {
    if (!complete) return;
    complete = false;
    logger.warn({ role, node, why }, 'sharded subscriber lost a shard; resubscribing');
    options.onBroken?.();
  }

  function drop(shard: Shard): void {
    shards.delete(shard.node);
    shard.redis.disconnect();
  }

  function scheduleRetry(): void {
    if (closed || retry !== undefined) return;
    failures++;
    // A failover is over in seconds; past ~5 s of attempts something else is wrong (ACL, network).
    if (failures % 20 === 0)
      logger.warn({ role, attempts: failures }, 'sharded subscriber still cannot subscribe every shard');
    const delay = Math.min(RETRY_MIN_MS * 2 ** Math.min(failures - 1, 3), RETRY_MAX_MS);
    retry = setTimeout(() => {
      retry = undefined;
      // Ask the cluster who owns what now (a failover changes it), then resubscribe.
      cluster.refreshSlotsCache(() => void sync());
    }, delay);
    retry.unref();
  }

  async function openShard(node: string, channels: readonly string[]): Promise<void> {
    const at = node.lastIndexOf(':');
    const redis = new Redis({
      host: node.slice(0, at),
      port: Number(node.slice(at + 1)),
      connectionName: role,
      lazyConnect: true,
      // Never reconnects by itself: the node may be gone for good; sync() finds the new owner.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
    });
    const shard: Shard = { node, channels, redis, subscribed: false };
    shards.set(node, shard);
    redis.on('error', (err: Error) => logger.debug({ err, role, node }, 'shard subscriber error'));
    redis.on('smessage', (channel: string, payload: string) => options.onMessage(channel, payload));
    redis.on('close', () => {
      if (shards.get(node) !== shard) return;
      shards.delete(node);
      if (closed) return;
      broken('connection closed', node);
      scheduleRetry();
    });
    await redis.connect();
    // One SSUBSCRIBE per slot: a cluster refuses one whose channels hash to different slots.
    const bySlot = new Map<number, string[]>();
    for (const channel of channels)
      bySlot.set(slotOf(channel), [...(bySlot.get(slotOf(channel)) ?? []), channel]);
    await Promise.all([...bySlot.values()].map((group) => redis.ssubscribe(...group)));
    shard.subscribed = true;
  }

  async function syncOnce(): Promise<void> {
    const want = owners();
    if (want === undefined) {
      scheduleRetry();
      return;
    }
    for (const shard of [...shards.values()]) {
      const channels = want.get(shard.node);
      if (channels === undefined || channels.join('\n') !== shard.channels.join('\n')) {
        broken('slot owner changed', shard.node);
        drop(shard);
      }
    }
    const opening: Promise<void>[] = [];
    for (const [node, channels] of want) {
      if (!shards.has(node)) opening.push(openShard(node, channels));
    }
    const results = await Promise.allSettled(opening);
    if (closed) return;
    for (const result of results) {
      if (result.status === 'rejected') logger.debug({ err: result.reason, role }, 'shard subscribe failed');
    }
    const all = shards.size === want.size && [...shards.values()].every((s) => s.subscribed);
    if (!all) {
      for (const shard of [...shards.values()]) if (!shard.subscribed) drop(shard);
      scheduleRetry();
      return;
    }
    failures = 0;
    if (complete) return;
    complete = true;
    if (everComplete) {
      logger.info({ role }, 'sharded subscriber complete again');
      options.onRestored?.();
    }
    everComplete = true;
    markReady();
  }

  async function sync(): Promise<void> {
    if (closed) return;
    if (syncing) {
      again = true;
      return;
    }
    syncing = true;
    try {
      do {
        again = false;
        await syncOnce();
      } while (again && !closed);
    } catch (err) {
      logger.warn({ err, role }, 'sharded subscriber sync failed');
      scheduleRetry();
    } finally {
      syncing = false;
    }
  }

  // After each slot refresh: a channel whose owner changed without a dropped connection moves.
  const onRefresh = () => {
    if (closed || syncing) return;
    const want = owners();
    if (want === undefined) return;
    const moved =
      want.size !== shards.size ||
      [...want].some(([node, channels]) => shards.get(node)?.channels.join('\n') !== channels.join('\n'));
    if (moved) void sync();
  };
  cluster.on('refresh', onRefresh);
  whenConnected(cluster).then(() => sync());

  let fencing: Promise<void> | undefined;
  return {
    isSubscribed: () => !closed && complete,
    ready: () => readiness,
    fence() {
      if (closed || !complete) return Promise.reject(new Error(`${role} is not subscribed to every shard`));
      // Callers of one microtask batch share one round of PINGs.
      fencing ??= Promise.resolve().then(() => {
        fencing = undefined;
        return Promise.all([...shards.values()].map((s) => s.redis.ping())).then(() => undefined);
      });
      return fencing;
    },
    async close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      cluster.off('refresh', onRefresh);
      await Promise.all(
        [...shards.values()].map(async (shard) => {
          shards.delete(shard.node);
          try {
            await shard.redis.quit();
          } catch {
            shard.redis.disconnect();
          }
        }),
      );
    },
  };
}
