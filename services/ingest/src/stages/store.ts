import type { RawEvent } from '@nrelay/protocol';
import type { SaveOutcome } from '@nrelay/store';

/** The part of the event store the ingest pipeline writes through. */
export interface EventWriter {
  save(events: RawEvent[]): Promise<SaveOutcome[]>;
}

/**
 * An event's outcome and, when the batcher learns WAL positions (read replicas on), the
 * primary's position read after its batch committed: the read-your-writes bound its fanout
 * message carries (ADR 0024).
 */
export type WrittenOutcome = SaveOutcome & { lsn?: string };

interface Pending {
  event: RawEvent;
  resolve: (outcome: WrittenOutcome) => void;
  reject: (err: unknown) => void;
}

/** Options of the write batcher. */
export interface WriteBatcherOptions {
  /** Most events in one transaction. */
  maxBatch: number;
  /** Transactions in flight at once (1 for PGlite, which has one connection). */
  writers: number;
  /**
   * Read replicas on: the primary's WAL position, read once per batch after it committed
   * (one round trip) when the batch stored or found an event; absent = no position.
   */
  walPosition?: () => Promise<string>;
  /** Told when `walPosition` fails (the events stay stored; their messages go without one). */
  onWalPositionError?: (err: unknown) => void;
}

/**
 * Store stage: events submitted concurrently are written together, many to one transaction
 * (strfry's writer), and each caller gets its own outcome. A batch starts as soon as a writer
 * is free, so a lone event is not delayed by a timer.
 */
export class WriteBatcher {
  readonly #writer: EventWriter;
  readonly #options: WriteBatcherOptions;
  #queue: Pending[] = [];
  #active = 0;
  #idle: Array<() => void> = [];

  constructor(writer: EventWriter, options: WriteBatcherOptions) {
    this.#writer = writer;
    this.#options = options;
  }

  /** Saves one event as part of the next batch; resolves with its outcome after commit. */
  write(event: RawEvent): Promise<WrittenOutcome> {
    return new Promise<WrittenOutcome>((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (this.#active < this.#options.writers) queueMicrotask(() => this.#drain());
    });
  }

  /** Resolves when every queued event has been written. */
  async flushed(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** The WAL position after a batch, when one is wanted and the batch has events to publish. */
  async #walPosition(outcomes: readonly SaveOutcome[]): Promise<string | undefined> {
    const read = this.#options.walPosition;
    if (read === undefined) return undefined;
    if (!outcomes.some((o) => o.status === 'stored' || o.status === 'duplicate')) return undefined;
    try {
      return await read();
    } catch (err) {
      this.#options.onWalPositionError?.(err);
      return undefined;
    }
  }

  async #drain(): Promise<void> {
    if (this.#active >= this.#options.writers || this.#queue.length === 0) return;
    this.#active++;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#options.maxBatch);
        try {
          const outcomes = await this.#writer.save(batch.map((p) => p.event));
          const lsn = await this.#walPosition(outcomes);
          batch.forEach((p, i) => {
            const outcome = outcomes[i];
            if (outcome === undefined) p.reject(new Error('event store returned fewer outcomes than events'));
            else if (lsn !== undefined && (outcome.status === 'stored' || outcome.status === 'duplicate'))
              p.resolve({ ...outcome, lsn });
            else p.resolve(outcome);
          });
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#active--;
      if (this.#active === 0 && this.#queue.length === 0) {
        for (const resolve of this.#idle.splice(0)) resolve();
      }
    }
  }
}
