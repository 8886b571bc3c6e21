/**
 * Read-your-writes over read replicas (ADR 0024). Ingest answers OK only after the event's
 * fanout message, which carries the primary's WAL position after its commit, was published;
 * so after this gateway's fanout fence, the highest position it has seen is at or past the
 * commit of every event OK'd (on any gateway) before the fence was called. Each query goes to
 * the query service with that position as its bound (`minLsn`): a replica answers it only once
 * it has replayed that far, else the primary does.
 *
 * The positions seen only cover messages received. Events committed before this gateway
 * subscribed, or published while its subscription was broken, or published without a position
 * (an ingest worker without replicas configured) may lie past them, and so may a change made
 * outside the ingest path and announced on the access-change bus (a NIP-86 ban quarantines
 * stored events, an import writes them): the bound is then unknown
 * and queries go without one (the query service reads the primary) until the service answers
 * one of them with the primary's position read after the request was sent, while the
 * subscription was continuous: the new starting bound.
 */
import type { AccessChangeBus } from '@nrelay/access';
import { isEphemeral } from '@nrelay/protocol';
import type { FanoutBus, FanoutMessage } from '@nrelay/seams/fanout';
import { type ItemsRequest, parseLsn, type QueryClient, type QueryRequest } from '@nrelay/seams/query';
import { FENCE_TIMEOUT_MS, fenceBuses } from './fences.js';

/** A gateway's read-your-writes bound: see the module comment. */
export interface ReadYourWrites {
  /** `inner` with each request bounded by the highest position seen, after the fence. */
  wrap(inner: QueryClient): QueryClient;
  /** The HTTP client's `onPrimaryLsn`: the primary's position answered to an unbounded request. */
  onPrimaryLsn(lsn: string, request: object): void;
  /** The bound requests would carry now (undefined: unknown); for tests and logs. */
  bound(): string | undefined;
  /** Stops listening to the bus. */
  close(): void;
}

/**
 * Tracks the highest WAL position seen on `fanout` and bounds the queries of wrapped clients
 * with it; an announcement on `accessChanges` makes the bound unknown. Subscribe before the
 * buses are ready, like every other handler of the gateway.
 */
export function createReadYourWrites(
  fanout: Pick<FanoutBus, 'subscribe' | 'watchContinuity' | 'fence'>,
  accessChanges: Pick<AccessChangeBus, 'subscribe' | 'fence'>,
  fenceTimeoutMs = FENCE_TIMEOUT_MS,
): ReadYourWrites {
  let highest = 0n;
  let highestText: string | undefined;
  /** Whether `highest` is known to cover every commit OK'd before the latest fence. */
  let known = false;
  let continuous = true;
  /** Bumped whenever coverage may have been lost: a baseline from before it is worthless. */
  let epoch = 0;
  /** Unbounded requests in flight and the epoch they were sent in. */
  const sentIn = new WeakMap<object, number>();

  function raise(text: string): boolean {
    const position = parseLsn(text);
    if (position === undefined) return false;
    if (highestText === undefined || position > highest) [highest, highestText] = [position, text];
    return true;
  }

  function lose(): void {
    known = false;
    epoch++;
  }

  function onMessage(message: FanoutMessage): void {
    if (message.lsn !== undefined && raise(message.lsn)) return;
    // A stored event whose commit position we were not told: anything up to it may be unseen.
    if (!isEphemeral(message.event.kind)) lose();
  }

  const unsubscribe = fanout.subscribe(onMessage);
  // Committed on the primary outside the ingest path, at a position no message told us.
  const unsubscribeChanges = accessChanges.subscribe(lose);
  const unwatch = fanout.watchContinuity((state) => {
    continuous = state === 'restored';
    lose();
  });

  /**
   * The request as sent: bounded when the bound is known and still is after the fences. An
   * unknown bound needs no fence (no wait while a bus is down): the primary answers the request.
   */
  async function bounded<T extends QueryRequest | ItemsRequest>(request: T): Promise<T> {
    if (
      known &&
      (await fenceBuses({ fanout, accessChanges }, fenceTimeoutMs)) &&
      known &&
      highestText !== undefined
    ) {
      return { ...request, minLsn: highestText };
    }
    const { minLsn: _ignored, ...unbounded } = request;
    // Its answer may carry a starting bound, valid only if nothing is lost from now until then.
    if (continuous) sentIn.set(unbounded, epoch);
    return unbounded as T;
  }

  return {
    wrap(inner) {
      async function* query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
        yield* inner.query(await bounded(request), signal);
      }
      const countHll = inner.countHll?.bind(inner);
      return {
        query,
        count: async (request, signal) => inner.count(await bounded(request), signal),
        ...(countHll === undefined
          ? {}
          : { countHll: async (request, signal) => countHll(await bounded(request), signal) }),
        items: async (request, signal) => inner.items(await bounded(request), signal),
        close: () => inner.close(),
      };
    },
    onPrimaryLsn(lsn, request) {
      const sendEpoch = sentIn.get(request);
      if (sendEpoch === undefined || sendEpoch !== epoch || !continuous) return;
      if (raise(lsn)) known = true;
    },
    bound: () => (known ? highestText : undefined),
    close() {
      unsubscribe();
      unsubscribeChanges();
      unwatch();
    },
  };
}
