import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { RawEvent } from '@nrelay/protocol';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';

const byStoreOrder = ({ event: x }: RawEvent, { event: y }: RawEvent) =>
  x.created_at !== y.created_at ? y.created_at - x.created_at : x.id < y.id ? -1 : 1;

/**
 * The store as the warm-up reads it: `until` and `limit` over an array, newest first, in
 * batches of two. The snapshot is taken when a read starts, so what is added while a read is
 * held open (`block`) is not in it, like an event committed after the snapshot.
 */
export class FakeStore implements QueryClient {
  readonly rows: RawEvent[] = [];
  readonly requests: QueryRequest[] = [];
  /** performance.now() at each read, to see the backoff. */
  readonly readAt: number[] = [];
  /** Reads whose signal was aborted (the feed aborts only a warm-up it gives up). */
  abortedReads = 0;
  failNext = 0;
  /** While set, reads wait for it (`block`, `open`) or their abort. */
  gate: Promise<void> | undefined;
  open = () => {};
  readonly count = async () => this.rows.length;
  readonly items = async () => new Uint8Array(0);
  readonly close = async () => {};

  add(...events: RawEvent[]): void {
    this.rows.push(...events);
    this.rows.sort(byStoreOrder);
  }

  block(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  async *query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    signal.throwIfAborted();
    this.requests.push(request);
    this.readAt.push(performance.now());
    assert.equal(request.filters.length, 1, 'one filter per warm-up read');
    const { until, limit = 100, ...rest } = request.filters[0] ?? {};
    assert.deepEqual(rest, {}, 'a warm-up read filters by until and limit only');
    const snapshot = this.rows.filter((r) => r.event.created_at <= (until ?? Infinity)).slice(0, limit);
    signal.addEventListener('abort', () => this.abortedReads++, { once: true });
    if (this.gate) await Promise.race([this.gate, once(signal, 'abort')]);
    signal.throwIfAborted();
    if (this.failNext-- > 0) throw new Error('query service unavailable');
    for (let i = 0; i < snapshot.length; i += 2) {
      yield snapshot.slice(i, i + 2).map((r) => r.raw);
      signal.throwIfAborted();
    }
  }
}

/** Resolves once `check` holds, polling; rejects after 3 s. */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
