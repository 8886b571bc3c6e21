/**
 * The read replicas' metrics (ADR 0024, docs/operations.md "Read replicas"): where reads went,
 * why the primary answered one, and each replica's lag. Exported only with READ_DATABASE_URL set.
 */
import { type Attributes, type BatchObservableResult, relayMeter } from '@nrelay/telemetry';
import type { PrimaryReason } from './replica-chooser.js';

/** What the metrics read of each replica, in READ_DATABASE_URL order (the `replica` label). */
export interface ReplicaLag {
  lagSeconds: number | undefined;
  lagBytes: number | undefined;
  unhealthyUntil: number;
}

/** Counts reads as they are routed; the lag gauges are read at each collection. */
export interface ReplicaMetrics {
  replica(): void;
  primary(reason: PrimaryReason): void;
  close(): void;
}

const REPLICA: Attributes = { target: 'replica' };
const PRIMARY: Attributes = { target: 'primary' };
const REASONS: Record<PrimaryReason, Attributes> = {
  no_bound: { reason: 'no_bound' },
  unrestricted: { reason: 'unrestricted' },
  lag: { reason: 'lag' },
  unavailable: { reason: 'unavailable' },
  error: { reason: 'error' },
};

/** Registers the instruments over `replicas` (read live, not copied). */
export function exportReplicaMetrics(replicas: readonly ReplicaLag[]): ReplicaMetrics {
  const meter = relayMeter();
  const reads = meter.createCounter('nrelay_query_reads', {
    description: 'Reads (REQ, COUNT, NIP-77) by the database that answered them: replica or primary',
  });
  const toPrimary = meter.createCounter('nrelay_query_primary_reads', {
    description:
      'Reads the primary answered with replicas configured, by reason (no_bound, unrestricted, lag, unavailable, error)',
  });
  const lagBytes = meter.createObservableGauge('nrelay_query_replica_lag_bytes', {
    description:
      "Bytes of WAL a read replica has still to replay (primary's position minus its replay position)",
    unit: 'By',
  });
  const lagSeconds = meter.createObservableGauge('nrelay_query_replica_lag_seconds', {
    description:
      'Seconds since the last transaction a read replica replayed was committed (grows while the primary is idle)',
    unit: 's',
  });
  const healthy = meter.createObservableGauge('nrelay_query_replica_healthy', {
    description: 'Whether a read replica is taking reads (1) or set aside after an error (0)',
  });
  const labels = replicas.map((_, i): Attributes => ({ replica: String(i) }));
  const observe = (result: BatchObservableResult) => {
    const now = Date.now();
    replicas.forEach((r, i) => {
      const attrs = labels[i] as Attributes;
      if (r.lagBytes !== undefined) result.observe(lagBytes, r.lagBytes, attrs);
      if (r.lagSeconds !== undefined) result.observe(lagSeconds, r.lagSeconds, attrs);
      result.observe(healthy, r.unhealthyUntil <= now ? 1 : 0, attrs);
    });
  };
  meter.addBatchObservableCallback(observe, [lagBytes, lagSeconds, healthy]);
  return {
    replica: () => reads.add(1, REPLICA),
    primary(reason) {
      reads.add(1, PRIMARY);
      toPrimary.add(1, REASONS[reason]);
    },
    close: () => meter.removeBatchObservableCallback(observe, [lagBytes, lagSeconds, healthy]),
  };
}
