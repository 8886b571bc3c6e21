/**
 * Reads over Postgres read replicas with read-your-writes (ADR 0024): a QueryClient that sends
 * each bounded request (`minLsn`, the highest commit position its gateway saw on the fanout
 * bus) to a healthy replica that has replayed that far, waits up to READ_REPLICA_WAIT_MS for
 * one to catch up, and otherwise reads the primary. Nothing is ever answered by a replica
 * behind the bound. A replica that fails before answering anything is retried on the primary,
 * and set aside for a while when the failure says it is down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type HllCountRequest,
  InvalidQueryError,
  type ItemsRequest,
  parseLsn,
  type QueryClient,
  type QueryRequest,
} from '@nrelay/seams/query';
import { sqlState } from '@nrelay/store';
import {
  chooseReplica,
  isHealthy,
  isReplicaDown,
  type PrimaryReason,
  type ReplicaView,
} from './replica-chooser.js';
import { exportReplicaMetrics, type ReplicaMetrics } from './replica-metrics.js';

/** One replica: its query engine and how to read its replay position. */
interface ReplicaTarget {
  engine: QueryClient;
  /** `pg_last_wal_replay_lsn()` and the replay delay in seconds (see `readReplayPosition`). */
  readReplay(): Promise<{ lsn: string | undefined; lagSeconds: number | undefined }>;
}

/** What the replica reads are built from. */
export interface ReplicaReadsOptions {
  primary: QueryClient;
  replicas: readonly ReplicaTarget[];
  /** READ_REPLICA_WAIT_MS: the longest a read waits for a replica to catch up. */
  waitMs: number;
  /** The primary's current WAL position (for the lag in bytes). */
  primaryPosition(): Promise<string>;
  logger: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
  /** How often the replay positions are read while a request waits (default 10 ms). */
  pollMs?: number;
  /** How often they are read for the lag metrics and to see a replica come back (default 1 s). */
  statsMs?: number;
  /** How long a replica that failed is set aside (default 5 s). */
  unhealthyMs?: number;
}

interface Replica extends ReplicaView {
  target: ReplicaTarget;
  lagSeconds: number | undefined;
  lagBytes: number | undefined;
  reading: Promise<void> | undefined;
}

/** The routed client, and the position the HTTP server answers unbounded requests with. */
export interface ReplicaReads {
  client: QueryClient;
  primaryLsn(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Builds the routed client and starts polling the replicas' positions (see the module comment). */
export function createReplicaReads(options: ReplicaReadsOptions): ReplicaReads {
  const { primary, logger } = options;
  const pollMs = options.pollMs ?? 10;
  const unhealthyMs = options.unhealthyMs ?? 5000;
  const replicas: Replica[] = options.replicas.map((target) => ({
    target,
    replayed: undefined,
    unhealthyUntil: 0,
    lagSeconds: undefined,
    lagBytes: undefined,
    reading: undefined,
  }));
  let cursor = 0;
  let primaryAt: bigint | undefined;
  const metrics: ReplicaMetrics = exportReplicaMetrics(replicas);

  function setAside(i: number, err: unknown): void {
    const replica = replicas[i] as Replica;
    if (isHealthy(replica, Date.now()))
      logger.warn({ err, replica: i }, 'read replica failed; reading elsewhere');
    replica.unhealthyUntil = Date.now() + unhealthyMs;
    // Whatever it had replayed may not be what it shows when it is back (a restart replays from
    // its last restartpoint): its next report decides.
    replica.replayed = undefined;
  }

  /** Reads one replica's replay position; one read at a time per replica. */
  function readReplay(i: number): Promise<void> {
    const replica = replicas[i] as Replica;
    replica.reading ??= replica.target
      .readReplay()
      .then(
        ({ lsn, lagSeconds }) => {
          // A server that is not a standby (a misconfigured URL) would make every read wait.
          if (lsn === undefined) return setAside(i, new Error('not a hot standby: no WAL replay position'));
          // The latest report, even when lower than the last one: a standby restarted (or
          // rebuilt from an older backup) answers again from where it replays now.
          const replayed = parseLsn(lsn);
          if (replayed !== undefined) replica.replayed = replayed;
          replica.lagSeconds = lagSeconds;
          if (primaryAt !== undefined && replica.replayed !== undefined)
            replica.lagBytes = Math.max(0, Number(primaryAt - replica.replayed));
          if (!isHealthy(replica, Date.now())) logger.info({ replica: i }, 'read replica answers again');
          replica.unhealthyUntil = 0;
        },
        (err: unknown) => setAside(i, err),
      )
      .finally(() => {
        replica.reading = undefined;
      });
    return replica.reading;
  }

  const readHealthy = () =>
    Promise.all(replicas.map((r, i) => (isHealthy(r, Date.now()) ? readReplay(i) : undefined)));

  async function readStats(): Promise<void> {
    try {
      primaryAt = parseLsn(await options.primaryPosition());
    } catch (err) {
      logger.warn({ err }, 'could not read the primary WAL position');
    }
    await Promise.all(replicas.map((_, i) => readReplay(i)));
  }
  const stats = setInterval(() => void readStats(), options.statsMs ?? 1000);
  stats.unref();
  void readStats();

  /** The replica to read (its index), or why the primary reads instead. */
  async function route(
    request: QueryRequest | ItemsRequest,
    signal: AbortSignal,
  ): Promise<number | PrimaryReason> {
    if (request.viewer.unrestricted === true) return 'unrestricted';
    const bound = request.minLsn === undefined ? undefined : parseLsn(request.minLsn);
    if (bound === undefined) return 'no_bound';
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const now = Date.now();
      const chosen = chooseReplica(replicas, bound, now, cursor);
      if (chosen !== undefined) {
        cursor = (chosen + 1) % replicas.length;
        return chosen;
      }
      if (!replicas.some((r) => isHealthy(r, now))) return 'unavailable';
      if (now >= deadline) return 'lag';
      await Promise.all([readHealthy(), sleep(Math.min(pollMs, deadline - now), undefined, { signal })]);
    }
  }

  /** Whether a failed replica read may be redone on the primary (nothing was answered yet). */
  function retryable(i: number, err: unknown, signal: AbortSignal): boolean {
    if (signal.aborted || err instanceof InvalidQueryError) return false;
    const state = sqlState(err);
    if (isReplicaDown(state)) setAside(i, err);
    else logger.warn({ err, replica: i, sqlState: state }, 'replica read failed; reading the primary');
    metrics.primary('error');
    return true;
  }

  async function* query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    const where = await route(request, signal);
    if (typeof where !== 'number') {
      metrics.primary(where);
      yield* primary.query(request, signal);
      return;
    }
    metrics.replica();
    let answered = false;
    try {
      for await (const batch of (replicas[where] as Replica).target.engine.query(request, signal)) {
        answered = true;
        yield batch;
      }
    } catch (err) {
      // Part of the answer is out: the client is told the query failed rather than sent it twice.
      if (answered || !retryable(where, err, signal)) throw err;
      yield* primary.query(request, signal);
    }
  }

  /** A one-answer read (count, registers, item set) on the routed database. */
  async function once<R extends QueryRequest | ItemsRequest, T>(
    request: R,
    signal: AbortSignal,
    run: (engine: QueryClient, request: R) => Promise<T>,
  ): Promise<T> {
    const where = await route(request, signal);
    if (typeof where !== 'number') {
      metrics.primary(where);
      return run(primary, request);
    }
    metrics.replica();
    try {
      return await run((replicas[where] as Replica).target.engine, request);
    } catch (err) {
      if (!retryable(where, err, signal)) throw err;
      return run(primary, request);
    }
  }

  const primaryHll = primary.countHll?.bind(primary);
  const client: QueryClient = {
    query,
    count: (request, signal) => once(request, signal, (engine, r) => engine.count(r, signal)),
    ...(primaryHll === undefined
      ? {}
      : {
          countHll: (request: HllCountRequest, signal: AbortSignal) =>
            once(request, signal, (engine, r) =>
              engine.countHll === undefined ? primaryHll(r, signal) : engine.countHll(r, signal),
            ),
        }),
    items: (request, signal) => once(request, signal, (engine, r) => engine.items(r, signal)),
    async close() {
      clearInterval(stats);
      metrics.close();
      await Promise.all([primary.close(), ...replicas.map((r) => r.target.engine.close())]);
    },
  };

  return {
    client,
    async primaryLsn() {
      const lsn = await options.primaryPosition();
      primaryAt = parseLsn(lsn) ?? primaryAt;
      return lsn;
    },
    close: () => client.close(),
  };
}
