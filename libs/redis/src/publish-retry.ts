/**
 * Publishing through a Redis Cluster failover: a failed (S)PUBLISH is tried again, in order per
 * partition, with the slot map refreshed between attempts, until it goes through or its bound
 * passes. ioredis Cluster's own retries (retryDelayOnFailover, retryDelayOnClusterDown) are
 * counted in redirections and reconnects rather than time, send a retried command to a random
 * node, let newer commands overtake it, and give up on MaxRetriesPerRequestError: hence this.
 */
import type { Cluster } from 'ioredis';

/** How a partition's publishes are sent and retried. */
export interface OrderedPublisherOptions {
  /** Sends one payload on one partition; rejects when Redis did not take it. */
  send(partition: number, payload: string): Promise<void>;
  /** The cluster connection whose slot map is refreshed between attempts; none on a single Redis. */
  cluster: Cluster | undefined;
  /** How long after `publish` was called a publish may still be retried; 0 = never retried. */
  retryMs: number;
  /** True once the channel is closed: nothing is retried any more. */
  closed(): boolean;
  /** The node that owns a partition's slot in `cluster`'s slot map now (undefined: unknown). */
  ownerOf?(partition: number): string | undefined;
}

/** Publishes that keep their order per partition while one of them is being retried. */
export interface OrderedPublisher {
  publish(partition: number, payload: string): Promise<void>;
}

interface Waiting {
  /** Publish order within the channel: a retried publish is queued back in this order. */
  seq: number;
  payload: string;
  deadline: number;
  resolve(): void;
  reject(err: unknown): void;
  lastError: unknown;
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 250;
/**
 * Once the slot map names a new owner, the wait before sending there: the subscribers find it
 * by the same kind of polling (sharded-subscription.ts, ≤ 250 ms apart), and what reaches the
 * new master before they have subscribed there is lost to them.
 */
const SUBSCRIBER_CATCH_UP_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks the cluster for its slot map (a refresh already running is joined); errors are the next attempt's. */
function refreshSlots(cluster: Cluster | undefined): Promise<void> {
  if (cluster === undefined) return Promise.resolve();
  return new Promise((resolve) => cluster.refreshSlotsCache(() => resolve()));
}

/**
 * Sends straight away while a partition has nothing waiting; after a failure the partition's
 * later publishes wait behind the failed one (a later publish never overtakes an earlier one
 * being retried; one already sent when the earlier failed cannot be held back). Every publish
 * resolves or rejects (with its last error) within `retryMs` of its call, plus one backoff.
 */
export function orderedPublisher(options: OrderedPublisherOptions): OrderedPublisher {
  const { send, retryMs } = options;
  if (retryMs <= 0) return { publish: send };
  const waiting = new Map<number, Waiting[]>();
  let sequence = 0;

  function enqueue(partition: number, item: Waiting): void {
    const queue = waiting.get(partition);
    if (queue !== undefined) {
      let at = queue.length;
      while (at > 1 && (queue[at - 1] as Waiting).seq > item.seq) at--;
      queue.splice(at, 0, item);
      return;
    }
    waiting.set(partition, [item]);
    void drain(partition);
  }

  /** Sends `item` unless its bound passes first (a send stuck on a dead node counts as failed). */
  async function attempt(partition: number, item: Waiting): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((r) => {
      timer = setTimeout(() => r('expired'), Math.max(0, item.deadline - Date.now()));
    });
    try {
      const outcome = await Promise.race([
        send(partition, item.payload).then(() => 'sent' as const),
        expired,
      ]);
      return outcome === 'sent';
    } catch (err) {
      item.lastError = err;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function drain(partition: number): Promise<void> {
    const queue = waiting.get(partition) as Waiting[];
    let backoff = FIRST_BACKOFF_MS;
    const failedOwner = options.ownerOf?.(partition);
    let caughtUp = false;
    while (queue.length > 0) {
      const head = queue[0] as Waiting;
      if (options.closed() || Date.now() >= head.deadline) {
        queue.shift();
        head.reject(head.lastError ?? new Error('publish retry bound passed'));
        continue;
      }
      if (await attempt(partition, head)) {
        queue.shift();
        head.resolve();
        backoff = FIRST_BACKOFF_MS;
        continue;
      }
      if (Date.now() >= head.deadline) continue;
      // The new master is known only once the slot map says so.
      await refreshSlots(options.cluster);
      const owner = options.ownerOf?.(partition);
      const moved = !caughtUp && owner !== undefined && failedOwner !== undefined && owner !== failedOwner;
      if (moved) caughtUp = true;
      const pause = moved ? SUBSCRIBER_CATCH_UP_MS : backoff;
      await sleep(Math.min(pause, Math.max(0, head.deadline - Date.now())));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    waiting.delete(partition);
  }

  return {
    publish(partition, payload) {
      const deadline = Date.now() + retryMs;
      return new Promise<void>((resolve, reject) => {
        const item: Waiting = { seq: sequence++, payload, deadline, resolve, reject, lastError: undefined };
        if (waiting.has(partition)) {
          enqueue(partition, item);
          return;
        }
        send(partition, payload).then(resolve, (err: unknown) => {
          item.lastError = err;
          if (options.closed()) reject(err);
          else enqueue(partition, item);
        });
      });
    },
  };
}
