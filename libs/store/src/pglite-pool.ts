import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { PGliteSession } from './pglite-session.js';

/**
 * Why an adapter and not a custom Kysely Driver: PGlite 0.5's `query()` already answers with
 * `{ rows, rowCount, command }`, the shape Kysely's PostgresDriver reads from a `pg` client, so
 * the whole Postgres dialect (transactions, savepoints, migrations lock) is reused unchanged.
 * The one thing a pool gives that PGlite does not is exclusivity: PGlite is a single session,
 * so `connect()` leases it to one caller at a time (FIFO) and a Kysely transaction can never
 * interleave with another caller's statements. PGlite's own `node-postgres` shim was tried and
 * rejected: it emits an unhandled 'error' event when the database closes while a message is
 * still queued, which crashes the process.
 */
export class PGlitePool implements PostgresPool {
  readonly #lite: PGliteSession;
  readonly #waiters: Array<(client: PostgresPoolClient) => void> = [];
  #leased = false;
  #ended = false;

  /** Wraps an open PGlite session (in this thread or a worker's); the pool owns it and closes it in `end()`. */
  constructor(lite: PGliteSession) {
    this.#lite = lite;
  }

  /**
   * Resolves once the single session is free; the caller must `release()` it exactly once.
   * A lease starts on a later event-loop turn (setImmediate), never in the same chain of
   * microtasks: PGlite in this thread runs each statement synchronously and answers with a
   * resolved promise, so back-to-back statements (the pages of one query) would otherwise
   * hold the event loop for all of them, starving timers and sockets. The loop is then
   * blocked at most one statement at a time (docs/operations.md); in a worker thread, never.
   */
  connect(): Promise<PostgresPoolClient> {
    if (this.#ended) return Promise.reject(new Error('PGlite pool has been closed'));
    if (!this.#leased) {
      this.#leased = true;
      return new Promise((resolve) => setImmediate(() => resolve(this.#client())));
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Waits for the current lease to end, then closes PGlite. */
  async end(): Promise<void> {
    if (this.#ended) return;
    await this.connect();
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter(this.#closedClient());
    await this.#lite.close();
  }

  #client(): PostgresPoolClient {
    let released = false;
    const lite = this.#lite;
    const client = {
      async query<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        if (released) throw new Error('PGlite client used after release');
        const result = await lite.query<R>(sqlText, parameters as unknown[]);
        return {
          rows: result.rows,
          rowCount: result.affectedRows ?? result.rows.length,
          command: result.command as PostgresQueryResult<R>['command'],
        };
      },
      release: () => {
        if (released) return;
        released = true;
        void this.#handOver();
      },
    };
    return client as PostgresPoolClient;
  }

  /** A client handed to callers still waiting when the pool closes: every query fails. */
  #closedClient(): PostgresPoolClient {
    const client = {
      query: () => Promise.reject(new Error('PGlite pool has been closed')),
      release: () => {},
    };
    return client as unknown as PostgresPoolClient;
  }

  /**
   * A lease that ends inside an open transaction (a bug upstream, or a crash between BEGIN and
   * COMMIT) would poison the shared session for the next caller, so it is rolled back first.
   */
  async #handOver(): Promise<void> {
    if (!this.#lite.closed && this.#lite.isInTransaction()) {
      await this.#lite.query('rollback').catch(() => {});
    }
    const next = this.#waiters.shift();
    if (next) setImmediate(() => next(this.#client()));
    else this.#leased = false;
  }
}
