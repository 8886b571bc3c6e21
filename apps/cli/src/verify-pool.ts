import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NostrEvent, SignatureVerifier } from '@nrelay/protocol';

interface Job {
  resolve: (ok: Uint8Array) => void;
  reject: (err: unknown) => void;
}

/**
 * Signature checks on worker threads (one per core but one, at least one), each with the
 * relay's verifier (SIGNATURE_VERIFIER: the native addon when built). `check` verifies a batch
 * and remembers each event's verdict; `verifier` answers the pipeline from those verdicts, so
 * the pipeline's verify stage keeps its place (and its id check) without doing the costly part
 * on the main thread. An event the pool has not checked fails.
 */
export class VerifyPool {
  readonly #workers: Worker[];
  readonly #jobs = new Map<number, Job>();
  readonly #verdicts = new WeakMap<NostrEvent, boolean>();
  #seq = 0;
  #next = 0;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    for (const worker of workers) {
      worker.on('message', (message: { seq: number; ok: Uint8Array }) => {
        const job = this.#jobs.get(message.seq);
        this.#jobs.delete(message.seq);
        job?.resolve(message.ok);
      });
      worker.on('error', (err) => {
        for (const job of this.#jobs.values()) job.reject(err);
        this.#jobs.clear();
      });
    }
  }

  /** Starts `threads` workers (default: cores − 1, at least 1) with the verifier named `choice`. */
  static start(choice: string, threads = Math.max(1, availableParallelism() - 1)): VerifyPool {
    const url = new URL('./verify-worker.js', import.meta.url);
    return new VerifyPool(Array.from({ length: threads }, () => new Worker(url, { workerData: { choice } })));
  }

  /** Worker threads in the pool. */
  get size(): number {
    return this.#workers.length;
  }

  /** Checks the signatures of `events` on the next worker; afterwards `verifier` knows them. */
  async check(events: readonly NostrEvent[]): Promise<void> {
    const seq = ++this.#seq;
    const worker = this.#workers[this.#next++ % this.#workers.length] as Worker;
    const ok = await new Promise<Uint8Array>((resolve, reject) => {
      this.#jobs.set(seq, { resolve, reject });
      worker.postMessage({ seq, items: events.map((e) => [e.id, e.pubkey, e.sig]) });
    });
    events.forEach((event, i) => {
      this.#verdicts.set(event, ok[i] === 1);
    });
  }

  /** The pipeline's verifier: the verdict `check` found for this very event object. */
  readonly verifier: SignatureVerifier = {
    name: 'worker threads',
    verify: (event) => this.#verdicts.get(event) === true,
  };

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
