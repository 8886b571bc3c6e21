/** Most answers kept at once; past it new answers are shared while in flight but not kept. */
const MAX_CACHED_COUNTS = 10_000;

/** Why a shared count stops: every COUNT that waited for it has gone. */
const NOBODY_WAITS = new Error('no COUNT waits for this count any more');

/** What a shared count answers: a count, or a count with its NIP-45 registers (`hll`). */
export type CountAnswer = number | { count: number; hll: string };

interface Entry {
  readonly key: string;
  readonly promise: Promise<CountAnswer>;
  readonly controller: AbortController;
  /** COUNTs waiting for the answer while it is in flight. */
  waiters: number;
  /** When the kept answer expires (ms since the epoch); undefined while in flight. */
  expiresAt: number | undefined;
}

/**
 * Identical COUNTs (same filters, same viewer) share one count: while one is in flight the
 * others wait for it, and its answer is kept for `cacheMs` (COUNT_CACHE_MS). A shared count runs
 * on its own signal, aborted only when every COUNT waiting for it has gone, so one client
 * leaving does not fail the others. A failed count is not kept.
 */
export class SharedCounts {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts in flight or kept. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The answer for `key`: a kept one, the one in flight, or a new one from `run`. Rejects with
   * `signal`'s reason when it aborts first (the count goes on for the other waiters).
   */
  count<T extends CountAnswer>(
    key: string,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    // One key is always counted by the same kind of `run` (countKey), so its answers are all T.
    return this.#count(key, signal, run) as Promise<T>;
  }

  #count(
    key: string,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<CountAnswer>,
  ): Promise<CountAnswer> {
    if (signal.aborted) return Promise.reject(signal.reason);
    let entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry === undefined) entry = this.start(key, run);
    else if (entry.expiresAt !== undefined) return entry.promise;
    return this.wait(entry, signal);
  }

  private start(key: string, run: (signal: AbortSignal) => Promise<CountAnswer>): Entry {
    const controller = new AbortController();
    const promise = run(controller.signal);
    const entry: Entry = { key, promise, controller, waiters: 0, expiresAt: undefined };
    this.entries.set(key, entry);
    promise.then(
      () => {
        if (this.entries.get(key) !== entry) return;
        if (this.cacheMs <= 0 || this.entries.size > MAX_CACHED_COUNTS) {
          this.entries.delete(key);
          return;
        }
        entry.expiresAt = this.now() + this.cacheMs;
        setTimeout(() => {
          if (this.entries.get(key) === entry) this.entries.delete(key);
        }, this.cacheMs).unref();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry;
  }

  private wait(entry: Entry, signal: AbortSignal): Promise<CountAnswer> {
    entry.waiters++;
    return new Promise<CountAnswer>((resolve, reject) => {
      let done = false;
      const settle = () => {
        if (done) return false;
        done = true;
        signal.removeEventListener('abort', onAbort);
        entry.waiters--;
        return true;
      };
      const onAbort = () => {
        if (!settle()) return;
        reject(signal.reason);
        // The last waiter gone: stop the count (it frees its query slot) and forget it.
        if (entry.waiters > 0 || entry.expiresAt !== undefined) return;
        entry.controller.abort(NOBODY_WAITS);
        if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (n) => {
          if (settle()) resolve(n);
        },
        (err: unknown) => {
          if (settle()) reject(err);
        },
      );
    });
  }
}

/**
 * The sharing key of a COUNT: its filters and the pubkeys its connection is authenticated as,
 * and whether it is answered with NIP-45 registers (`hll`).
 */
export function countKey(
  filters: readonly unknown[],
  authedPubkeys: ReadonlySet<string>,
  hll = false,
): string {
  const viewer = authedPubkeys.size === 0 ? '' : [...authedPubkeys].sort().join(',');
  return `${hll ? 'hll|' : ''}${viewer}|${JSON.stringify(filters)}`;
}
