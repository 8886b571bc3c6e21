/**
 * Which read replica answers a bounded read (ADR 0024): pure decisions, no I/O. A replica is a
 * candidate while healthy; it may answer only once its replay position is at or past the
 * request's bound. Candidates are taken in turn (round robin) so caught-up replicas share reads.
 */

/** What the chooser knows of one replica. */
export interface ReplicaView {
  /** Replay position last read (`pg_last_wal_replay_lsn()`), undefined before the first read. */
  replayed: bigint | undefined;
  /** Milliseconds (the caller's clock) until which the replica is out after an error; 0 = healthy. */
  unhealthyUntil: number;
}

/** Whether `replica` may be asked at `now`. */
export function isHealthy(replica: ReplicaView, now: number): boolean {
  return replica.unhealthyUntil <= now;
}

/**
 * The index of the first healthy replica, starting at `start` and wrapping around, whose replay
 * position is at or past `bound`; undefined when none is (yet).
 */
export function chooseReplica(
  replicas: readonly ReplicaView[],
  bound: bigint,
  now: number,
  start: number,
): number | undefined {
  const n = replicas.length;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    const replica = replicas[i] as ReplicaView;
    if (!isHealthy(replica, now)) continue;
    if (replica.replayed !== undefined && replica.replayed >= bound) return i;
  }
  return undefined;
}

/** Why a read went to the primary. */
export type PrimaryReason =
  /** The request came without a bound (an internal read, a gateway that has none yet). */
  | 'no_bound'
  /** A hot-window warm-up: it must see every commit, so only the primary answers it. */
  | 'unrestricted'
  /** Every healthy replica stayed behind the bound for READ_REPLICA_WAIT_MS. */
  | 'lag'
  /** No replica was healthy. */
  | 'unavailable'
  /** The chosen replica failed before answering anything. */
  | 'error';

/**
 * Errors that mean the replica itself is unwell (connection refused or lost, the server
 * shutting down or starting): it is set aside for a while. Any other failure (a statement
 * cancelled by a recovery conflict, a timeout) only sends that one read to the primary.
 */
export function isReplicaDown(state: string | undefined): boolean {
  return state === undefined || state.startsWith('08') || state.startsWith('57P');
}
