import { after, before } from 'node:test';
import type { ServiceProcess } from '@nrelay/devcluster';
import { type ClusterRelay, startClusterRelay } from '../harness/cluster.js';

/** OK false `error:` after this long is the accepted answer for an EVENT caught in a crash. */
export const REPLY_TIMEOUT_MS = 5000;

/** The running two-gateway cluster the fault tests share, read once their `before` hook ran. */
export interface FaultCluster {
  relay(): ClusterRelay;
  /** The WebSocket URL of gateway A (index 0). */
  gwA(): string;
  /** The WebSocket URL of gateway B (index 1). */
  gwB(): string;
  /** The readiness URL of ingest worker `i`. */
  readyzOfIngest(i: number): string;
}

/**
 * Starts one two-gateway cluster for the calling test file (its `before` hook) on a private
 * redis-server (never the machine's shared one, so a test may kill it), and stops it after.
 */
export function faultCluster(): FaultCluster {
  let cluster: ClusterRelay | undefined;
  const relay = (): ClusterRelay => {
    if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
    return cluster;
  };
  before(
    async () => {
      cluster = await startClusterRelay({
        gateways: 2,
        ownRedis: true,
        // A killed worker's jobs run again within ~2 x INGEST_LOCK_MS once a worker is back.
        env: { INGEST_REPLY_TIMEOUT_MS: String(REPLY_TIMEOUT_MS), INGEST_LOCK_MS: '3000' },
      });
    },
    { timeout: 90_000 },
  );
  after(async () => cluster?.stop(), { timeout: 60_000 });
  return {
    relay,
    gwA: () => relay().gatewayUrls[0]!,
    gwB: () => relay().gatewayUrls[1]!,
    readyzOfIngest(i) {
      const health = relay().cluster.ingestWorkers[i]!.readyUrl;
      if (health === undefined) throw new Error(`ingest worker ${i} has no readiness URL`);
      return health;
    },
  };
}

/** Starts `service` again if a failed test left it stopped, and waits for its readiness. */
export async function ensureRunning(service: ServiceProcess): Promise<void> {
  if (service.pid === undefined) await service.start(30_000);
}
