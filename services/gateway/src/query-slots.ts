/**
 * Why a query gave up waiting for a slot: the gateway stayed busy with other connections'
 * queries for the whole wait bound (QUERY_SLOT_TIMEOUT_MS).
 */
export class QuerySlotTimeout extends Error {
  override readonly name = 'QuerySlotTimeout';
}

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** Sizes of a {@link QuerySlots} scheduler. */
export interface QuerySlotLimits {
  /** Queries the gateway runs at once (cluster: sockets to the query services; standalone: DB pool). */
  capacity: number;
  /** Queries one owner (a connection) runs at once; its others wait in its own queue. */
  perOwner: number;
  /**
   * How long a query waits while slots are taken by others. Time spent behind the owner's own
   * running queries does not count: each of those ends or is aborted by the stall bound.
   */
  waitTimeoutMs: number;
}

interface Waiter {
  readonly queue: OwnerQueue;
  readonly signal: AbortSignal;
  readonly grant: (release: ReleaseSlot) => void;
  readonly fail: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

interface OwnerQueue {
  readonly owner: object;
  running: number;
  readonly waiting: Waiter[];
}

/**
 * The gateway-wide fair scheduler of stored queries (REQ stored phases and COUNTs). At most
 * `capacity` run at once, at most `perOwner` per connection; a freed slot goes to the waiting
 * connection running the fewest queries, ties served round robin (one query each per turn), so
 * a connection with 64 queued REQs cannot starve another connection's single REQ. A waiter
 * whose signal aborts (CLOSE, replacement, disconnect) leaves the queue at once.
 */
export class QuerySlots {
  private running = 0;
  private queued = 0;
  /** Owners that run or wait for something; an idle owner is forgotten. */
  private readonly owners = new Map<object, OwnerQueue>();
  /** Owners with waiting work, in round-robin order (insertion order of a Set). */
  private readonly turn = new Set<OwnerQueue>();

  constructor(private readonly limits: QuerySlotLimits) {
    if (!(limits.capacity >= 1) || !(limits.perOwner >= 1)) throw new Error('query slots must be >= 1');
  }

  /** Slots in use. */
  get inUse(): number {
    return this.running;
  }

  /** Queries waiting for a slot, across all owners. */
  get waiting(): number {
    return this.queued;
  }

  /** Slots `owner` holds. */
  heldBy(owner: object): number {
    return this.owners.get(owner)?.running ?? 0;
  }

  /**
   * Resolves with a release function once `owner` may run one query; rejects with the signal's
   * reason when it aborts first, or with {@link QuerySlotTimeout} when the wait bound passes.
   * Resolves synchronously-fast (a resolved promise) when a slot is free.
   */
  acquire(owner: object, signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const queue = this.queueOf(owner);
    if (queue.waiting.length === 0 && this.mayRun(queue)) return Promise.resolve(this.take(queue));
    return new Promise<ReleaseSlot>((grant, fail) => {
      const waiter: Waiter = { queue, signal, grant, fail, timer: undefined, onAbort: undefined };
      waiter.onAbort = () => this.leave(waiter, signal.reason);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.armTimer(waiter);
      queue.waiting.push(waiter);
      this.queued++;
      this.turn.add(queue);
    });
  }

  private queueOf(owner: object): OwnerQueue {
    let queue = this.owners.get(owner);
    if (queue === undefined) {
      queue = { owner, running: 0, waiting: [] };
      this.owners.set(owner, queue);
    }
    return queue;
  }

  private mayRun(queue: OwnerQueue): boolean {
    return this.running < this.limits.capacity && queue.running < this.limits.perOwner;
  }

  private take(queue: OwnerQueue): ReleaseSlot {
    this.running++;
    queue.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      queue.running--;
      this.forgetIfIdle(queue);
      this.pump();
    };
  }

  private armTimer(waiter: Waiter): void {
    waiter.timer = setTimeout(() => {
      // Waiting behind its own connection's queries is not the gateway being busy: wait on.
      if (waiter.queue.running >= this.limits.perOwner) return this.armTimer(waiter);
      const ms = this.limits.waitTimeoutMs;
      this.leave(waiter, new QuerySlotTimeout(`no query slot free within ${ms} ms`));
    }, this.limits.waitTimeoutMs);
  }

  private unqueue(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    const waiting = waiter.queue.waiting;
    const at = waiting.indexOf(waiter);
    if (at >= 0) {
      waiting.splice(at, 1);
      this.queued--;
    }
    if (waiting.length === 0) this.turn.delete(waiter.queue);
  }

  private leave(waiter: Waiter, reason: unknown): void {
    this.unqueue(waiter);
    this.forgetIfIdle(waiter.queue);
    waiter.fail(reason);
  }

  private forgetIfIdle(queue: OwnerQueue): void {
    if (queue.running === 0 && queue.waiting.length === 0) this.owners.delete(queue.owner);
  }

  /** Hands free slots to waiting owners, one query per owner per turn. */
  private pump(): void {
    while (this.running < this.limits.capacity && this.turn.size > 0) {
      // The waiting owner running the fewest queries; among equals, the one waiting longest.
      let next: OwnerQueue | undefined;
      for (const queue of this.turn) {
        if (queue.running >= this.limits.perOwner) continue;
        if (next === undefined || queue.running < next.running) next = queue;
        if (next.running === 0) break;
      }
      if (next === undefined) return;
      const waiter = next.waiting[0]!;
      this.unqueue(waiter);
      // To the back of the line: the other owners get their turn first.
      this.turn.delete(next);
      if (next.waiting.length > 0) this.turn.add(next);
      waiter.grant(this.take(next));
    }
  }
}
