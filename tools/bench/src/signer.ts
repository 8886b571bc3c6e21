import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { type Draft, EventGenerator, type GeneratorOptions, type Keys, type SignedEvent } from './events.js';
import type { ProgressSink } from './progress.js';
import type { SeedBatch } from './seed-db.js';

/** A message to a signing thread. */
export type SignerRequest =
  | { seq: number; op: 'keys'; count: number }
  | {
      seq: number;
      op: 'sign';
      fakeSig: boolean;
      /** `events`: reply with `signed`; `rows`: with the database rows (`batch`). */
      output: 'events' | 'rows';
      drafts: Array<{
        sk: string;
        pubkey: string;
        kind: number;
        created_at: number;
        tags: string[][];
        content: string;
      }>;
    };

/** A signing thread's answer: `[secretKeyHex, pubkey]` pairs, `[id, rawJson]` pairs or rows. */
export type SignerReply =
  | { seq: number; impl: string; keys: Array<[string, string]> }
  | { seq: number; impl: string; signed: Array<[string, string]> }
  | { seq: number; impl: string; batch: SeedBatch }
  | { seq: number; error: string };

/** Drafts per message to a thread: big enough to amortise the copy, small enough to balance. */
const CHUNK = 500;
/** Drafts per database batch built on a thread: one INSERT statement each. */
const ROWS_CHUNK = 2500;

interface Pending {
  resolve(reply: SignerReply): void;
  reject(err: Error): void;
}

/**
 * Signs events on worker threads (one per CPU by default) so that signing a large batch does not
 * take the benchmark's own event loop, and so it can be done before the clock starts.
 */
export class SignerPool {
  /** Which signer the threads use (`nostr-wasm` or `nostr-tools/pure`), once known. */
  impl = 'unknown';
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private turn = 0;

  constructor(threads = os.availableParallelism()) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const w = new Worker(new URL('./sign-worker.js', import.meta.url));
      w.on('message', (reply: SignerReply) => this.settle(reply));
      w.on('error', (err) => this.failAll(err));
      return w;
    });
  }

  /** `count` fresh random key pairs. */
  async generateKeys(count: number): Promise<Keys> {
    const per = Math.ceil(count / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((_, i) =>
        this.call({ seq: 0, op: 'keys', count: Math.max(0, Math.min(per, count - i * per)) }),
      ),
    );
    const keys: Keys = { secretKeys: [], pubkeys: [] };
    for (const reply of parts) {
      if (!('keys' in reply)) continue;
      for (const [sk, pk] of reply.keys) {
        keys.secretKeys.push(sk);
        keys.pubkeys.push(pk);
      }
    }
    return keys;
  }

  /**
   * Signs `drafts` with their authors' keys, in order. With `fakeSig` the ids are correct but
   * the signature is 128 zeros: only for rows written straight into the database.
   */
  async sign(drafts: readonly Draft[], keys: Keys, fakeSig = false): Promise<SignedEvent[]> {
    const out: SignedEvent[] = [];
    let index = 0;
    for (const reply of await Promise.all(this.dispatch(drafts, keys, fakeSig, 'events', CHUNK))) {
      if (!('signed' in reply)) continue;
      for (const [id, raw] of reply.signed) {
        const d = drafts[index++] as Draft;
        out.push({
          id,
          pubkey: keys.pubkeys[d.keyIndex] as string,
          kind: d.kind,
          created_at: d.created_at,
          tags: d.tags,
          content: d.content,
          raw,
        });
      }
    }
    return out;
  }

  /**
   * Signs (or, with `fakeSig`, only hashes) `drafts` and turns them into the rows the store
   * writes, on the threads: one {@link SeedBatch} per 2,500 drafts, in order.
   */
  async rows(drafts: readonly Draft[], keys: Keys, fakeSig: boolean): Promise<SeedBatch[]> {
    const replies = await Promise.all(this.dispatch(drafts, keys, fakeSig, 'rows', ROWS_CHUNK));
    return replies.flatMap((r) => ('batch' in r ? [r.batch] : []));
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(
    drafts: readonly Draft[],
    keys: Keys,
    fakeSig: boolean,
    output: 'events' | 'rows',
    chunk: number,
  ): Array<Promise<SignerReply>> {
    const calls: Array<Promise<SignerReply>> = [];
    for (let i = 0; i < drafts.length; i += chunk) {
      const part = drafts.slice(i, i + chunk).map((d) => ({
        sk: fakeSig ? '' : (keys.secretKeys[d.keyIndex] as string),
        pubkey: keys.pubkeys[d.keyIndex] as string,
        kind: d.kind,
        created_at: d.created_at,
        tags: d.tags,
        content: d.content,
      }));
      calls.push(this.call({ seq: 0, op: 'sign', fakeSig, output, drafts: part }));
    }
    return calls;
  }

  private call(req: SignerRequest): Promise<SignerReply> {
    const seq = ++this.seq;
    const worker = this.workers[this.turn++ % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ ...req, seq });
    });
  }

  private settle(reply: SignerReply): void {
    const p = this.pending.get(reply.seq);
    if (!p) return;
    this.pending.delete(reply.seq);
    if ('error' in reply) p.reject(new Error(`signing thread failed: ${reply.error}`));
    else {
      this.impl = reply.impl;
      p.resolve(reply);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Settings of {@link presign}. */
export interface PresignOptions extends Omit<GeneratorOptions, 'pubkeys' | 'authors'> {
  count: number;
  /** Fresh authors to generate. */
  authors: number;
  fakeSig?: boolean;
}

/**
 * Generates fresh authors and `count` events, signed on the pool's threads with progress shown:
 * scenarios call this before their clock starts.
 */
export async function presign(
  pool: SignerPool,
  progress: ProgressSink,
  opts: PresignOptions,
): Promise<{ keys: Keys; events: SignedEvent[] }> {
  const keys = await pool.generateKeys(opts.authors);
  const gen = new EventGenerator({ ...opts, pubkeys: keys.pubkeys });
  const events: SignedEvent[] = [];
  progress.start(opts.fakeSig ? 'hashing' : 'signing', opts.count);
  for (let done = 0; done < opts.count; ) {
    const n = Math.min(PRESIGN_STEP, opts.count - done);
    events.push(...(await pool.sign(gen.take(n), keys, opts.fakeSig)));
    done += n;
    progress.update(done);
  }
  progress.finish(pool.impl);
  return { keys, events };
}

const PRESIGN_STEP = 4000;
