import { Worker } from 'node:worker_threads';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';

/** What the store's pool needs of an embedded PGlite session, wherever it runs. */
export interface PGliteSession {
  /** Runs one statement; answers `{ rows, affectedRows, command }` like PGlite's `query()`. */
  query<R>(sqlText: string, parameters?: unknown[]): Promise<PGliteResult<R>>;
  /** Whether the session is inside an open transaction (after the last statement answered). */
  isInTransaction(): boolean;
  readonly closed: boolean;
  close(): Promise<void>;
}

/** One statement's answer. */
interface PGliteResult<R> {
  rows: R[];
  affectedRows?: number;
  command?: string;
}

/** int8 as a JS number: every int8 the store reads is a timestamp or a count, far below 2^53. */
export function parseInt8(value: string): number {
  return Number(value);
}

/** Opens PGlite in this thread, reading int8 as numbers. */
export async function openPGliteHere(dataDir: string): Promise<PGliteSession> {
  const lite = await PGlite.create(dataDir, { parsers: { [pgliteTypes.INT8]: parseInt8 } });
  return {
    query: (sqlText, parameters) => lite.query(sqlText, parameters),
    isInTransaction: () => lite.isInTransaction(),
    get closed() {
      return lite.closed;
    },
    close: () => lite.close(),
  };
}

/** A message to the PGlite thread. */
export type ThreadRequest =
  | { n: number; op: 'query'; sql: string; params: unknown[] }
  | { n: number; op: 'close' };

/** A message from the PGlite thread: the answer to request `n`, or the failure to open. */
export type ThreadReply =
  | { n: number; ok: true; result?: PGliteResult<unknown>; inTransaction: boolean }
  | { n: number; ok: false; error: Record<string, unknown> };

/**
 * Opens PGlite in a worker thread (docs/adr/0022-pglite-in-a-worker-thread.md): its WASM runs
 * beside the event loop instead of inside it, so sockets, timers and signature checks go on
 * while a statement runs. Statements are still one at a time (one session); errors come back
 * with their SQLSTATE `code` and the other fields of Postgres's error, so callers classify
 * them as before.
 */
export async function openPGliteThread(dataDir: string): Promise<PGliteSession> {
  const worker = new Worker(new URL('./pglite-thread.js', import.meta.url), { workerData: { dataDir } });
  const pending = new Map<number, { resolve: (r: ThreadReply) => void; reject: (e: Error) => void }>();
  let next = 0;
  let inTransaction = false;
  let closed = false;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  // The thread keeps the process alive only while a statement is in flight, as a socket would.
  worker.unref();
  worker.on('message', (reply: ThreadReply) => {
    const waiter = pending.get(reply.n);
    pending.delete(reply.n);
    if (pending.size === 0) worker.unref();
    if (reply.ok) inTransaction = reply.inTransaction;
    waiter?.resolve(reply);
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => {
    closed = true;
    failAll(new Error(`the PGlite thread exited (code ${code})`));
  });
  const send = (request: ThreadRequest) =>
    new Promise<ThreadReply>((resolve, reject) => {
      if (failure) return reject(failure);
      if (pending.size === 0) worker.ref();
      pending.set(request.n, { resolve, reject });
      worker.postMessage(request);
    }).then((reply) => {
      if (!reply.ok) throw Object.assign(new Error(String(reply.error.message)), reply.error);
      return reply;
    });
  // The thread answers request 0 once PGlite is open (or with the reason it could not open).
  await send({ n: next++, op: 'query', sql: 'select 1', params: [] }).catch(async (err) => {
    await worker.terminate();
    throw err;
  });
  return {
    async query<R>(sql: string, params: unknown[] = []) {
      const reply = await send({ n: next++, op: 'query', sql, params });
      return (reply.ok ? reply.result : undefined) as PGliteResult<R>;
    },
    isInTransaction: () => inTransaction,
    get closed() {
      return closed;
    },
    async close() {
      if (closed) return;
      await send({ n: next++, op: 'close' }).catch(() => {});
      closed = true;
      await worker.terminate();
    },
  };
}
