import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cluster, freePort, type ServiceProcess, startCluster } from '@nrelay/devcluster';
import { type OwnPostgres, startOwnPostgres } from './own-postgres.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import {
  deleteRedisPrefix,
  type OwnRedis,
  SHARED_REDIS_URL,
  startOwnRedis,
  uniqueRedisPrefix,
} from './redis.js';
import { type OwnRedisCluster, startRedisCluster } from './redis-cluster.js';
import { type ReadReplicaPair, startReadReplicaPair } from './replica.js';
import type { RelayUnderTest } from './types.js';

/** Repository root, four levels above this file (tests/integration/dist/harness). */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ENTRIES = [
  join(REPO_ROOT, 'services', 'gateway', 'dist', 'main.js'),
  join(REPO_ROOT, 'services', 'ingest', 'dist', 'main.js'),
  join(REPO_ROOT, 'services', 'query', 'dist', 'main.js'),
  join(REPO_ROOT, 'apps', 'standalone', 'dist', 'migrate.js'),
];
const HOST = '127.0.0.1';
const MAX_LOG_CHARS = 8 * 1024 * 1024;

/** Options for {@link startClusterRelay}. */
export interface ClusterRelayOptions {
  /** Settings for every service (the relay's environment variable names). */
  env?: Record<string, string>;
  /** Gateways behind HAProxy (default 2). */
  gateways?: number;
  ingestWorkers?: number;
  queryServices?: number;
  /**
   * Run the cluster on a private `redis-server` started (and finally stopped) by the harness
   * instead of the machine's shared Redis, so a test may kill and restart it.
   */
  ownRedis?: boolean;
  /**
   * Run the cluster on a Redis Cluster (REDIS_CLUSTER_NODES) of 3 masters + 3 replicas: `true`
   * starts a private one (stopped with the relay), or pass one a test file shares between its
   * relays (each on its own prefix; the file stops it).
   */
  redisCluster?: boolean | OwnRedisCluster;
  /**
   * Run the cluster on a private Postgres (pg_createcluster, dropped by `stop()`) instead of a
   * database on the machine's shared server, so a test may stop and restart it.
   */
  ownPostgres?: boolean;
  /**
   * Run the cluster on a private primary with a streaming hot standby (./replica.ts) and
   * READ_DATABASE_URL naming the standby: the query services read from it (ADR 0024).
   */
  readReplica?: boolean;
}

/** A cluster behind HAProxy as the suite sees a relay, plus the handle of every process. */
export interface ClusterRelay extends RelayUnderTest {
  /** The running cluster: gateways, ingest workers, query services, HAProxy. */
  readonly cluster: Cluster;
  /** Each gateway's own WebSocket URL (bypassing HAProxy). */
  readonly gatewayUrls: readonly string[];
  readonly database: TestDatabase;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  /** The private redis-server, when started with `ownRedis`. */
  readonly redis: OwnRedis | undefined;
  /** The Redis Cluster, when started with `redisCluster`. */
  readonly redisCluster: OwnRedisCluster | undefined;
  /** The private Postgres, when started with `ownPostgres`. */
  readonly postgres: OwnPostgres | undefined;
  /** The primary and its standby, when started with `readReplica`. */
  readonly replica: ReadReplicaPair | undefined;
  /** Stops every process of the cluster and starts them again on the same database, Redis and prefix. */
  restart(): Promise<ClusterRelay>;
}

/** Everything one cluster run owns across restarts; released once by the last handle's stop. */
interface Shared {
  options: Required<Omit<ClusterRelayOptions, 'ownRedis' | 'ownPostgres' | 'readReplica' | 'redisCluster'>>;
  database: TestDatabase;
  redisUrl: string;
  redisPrefix: string;
  redis: OwnRedis | undefined;
  redisCluster: OwnRedisCluster | undefined;
  /** Whether `redisCluster` is this relay's to stop. */
  ownsRedisCluster: boolean;
  postgres: OwnPostgres | undefined;
  replica: ReadReplicaPair | undefined;
  log: string[];
  logChars: number;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports (the cluster launcher puts gateway i on HAProxy's port + i). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort(HOST);
    if (base + count > 32767) continue; // stay below the ephemeral range (see freePort)
    let ok = true;
    for (let p = base + 1; p < base + count && ok; p++) ok = await isFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${count} consecutive free ports found in 50 attempts`);
}

function appendLog(shared: Shared, line: string): void {
  shared.log.push(line);
  shared.logChars += line.length + 1;
  while (shared.logChars > MAX_LOG_CHARS && shared.log.length > 1) {
    shared.logChars -= shared.log.shift()!.length + 1;
  }
}

/** Every process of a cluster, for bookkeeping. */
export function clusterProcesses(cluster: Cluster): ServiceProcess[] {
  return [
    ...cluster.gateways,
    ...cluster.ingestWorkers,
    ...cluster.queryServices,
    ...(cluster.haproxy ? [cluster.haproxy] : []),
  ];
}

async function launch(shared: Shared): Promise<ClusterRelay> {
  const { gateways, ingestWorkers, queryServices } = shared.options;
  const base = await freePortBlock(1 + gateways + queryServices + ingestWorkers);
  const cluster = await startCluster({
    host: HOST,
    port: base,
    databaseUrl: shared.database.url,
    redisUrl: shared.redisUrl,
    redisPrefix: shared.redisPrefix,
    ...(shared.redisCluster ? { redisClusterNodes: shared.redisCluster.nodes } : {}),
    gateways,
    ingestWorkers,
    queryServices,
    queryPort: base + 1 + gateways,
    ingestHealthPort: base + 1 + gateways + queryServices,
    env: { LOG_LEVEL: 'info', ...shared.options.env },
    haproxy: true,
    sink: (service, line) => appendLog(shared, `[${service}] ${line}`),
  });
  for (const s of clusterProcesses(cluster)) {
    s.onUnexpectedExit = (code, signal) =>
      appendLog(shared, `[harness] ${s.name} exited unexpectedly (code ${code}, signal ${signal})`);
  }
  return handle(shared, cluster);
}

async function release(shared: Shared): Promise<void> {
  const errors: unknown[] = [];
  await shared.database.drop().catch((e: unknown) => errors.push(e));
  if (shared.redis) await shared.redis.stop().catch((e: unknown) => errors.push(e));
  else if (shared.redisCluster) {
    // A shared cluster keeps this relay's keys under its unique prefix until the file stops it.
    if (shared.ownsRedisCluster) await shared.redisCluster.stop().catch((e: unknown) => errors.push(e));
  } else await deleteRedisPrefix(shared.redisUrl, shared.redisPrefix).catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors[0];
}

function handle(shared: Shared, cluster: Cluster): ClusterRelay {
  let state: 'running' | 'stopped' | 'handed-over' = 'running';
  const url = cluster.url;
  return {
    url,
    httpUrl: url.replace(/^ws/, 'http'),
    cluster,
    gatewayUrls: cluster.gatewayUrls,
    database: shared.database,
    redisUrl: shared.redisUrl,
    redisPrefix: shared.redisPrefix,
    redis: shared.redis,
    redisCluster: shared.redisCluster,
    postgres: shared.postgres,
    replica: shared.replica,
    logs: () => shared.log.join('\n'),
    stop: async () => {
      if (state !== 'running') return;
      state = 'stopped';
      try {
        await cluster.stop();
      } finally {
        await release(shared);
      }
    },
    restart: async () => {
      if (state !== 'running') throw new Error('restart() on a cluster that is no longer running');
      state = 'handed-over';
      try {
        await cluster.stop();
        return await launch(shared);
      } catch (err) {
        await release(shared);
        throw err;
      }
    },
  };
}

/**
 * Starts a whole cluster on this machine: a fresh Postgres database, a unique Redis prefix (on
 * the shared Redis, or on a private redis-server with `ownRedis`), migrations, query service(s),
 * ingest worker(s), gateways and HAProxy, all on free 127.0.0.1 ports. `url` is HAProxy's.
 * `stop()` stops every process, drops the database and deletes the prefix's Redis keys.
 */
export async function startClusterRelay(opts: ClusterRelayOptions = {}): Promise<ClusterRelay> {
  for (const entry of ENTRIES) {
    if (!existsSync(entry))
      throw new Error(`${entry} does not exist: build the relay first (npm run build).`);
  }
  const shared: Shared = {
    options: {
      env: opts.env ?? {},
      gateways: opts.gateways ?? 2,
      ingestWorkers: opts.ingestWorkers ?? 1,
      queryServices: opts.queryServices ?? 1,
    },
    database: { name: '', url: '', drop: async () => {} },
    redisUrl: SHARED_REDIS_URL,
    redisPrefix: uniqueRedisPrefix(),
    redis: undefined,
    redisCluster: undefined,
    ownsRedisCluster: false,
    postgres: undefined,
    replica: undefined,
    log: [],
    logChars: 0,
  };
  try {
    if (opts.readReplica) {
      const pair = await startReadReplicaPair();
      shared.replica = pair;
      shared.postgres = pair.primary;
      shared.database = { name: 'postgres', url: pair.primary.url, drop: () => pair.stop() };
      shared.options.env = { READ_DATABASE_URL: pair.replicaUrl, ...shared.options.env };
    } else if (opts.ownPostgres) {
      const own = await startOwnPostgres(await freePort(HOST));
      shared.postgres = own;
      shared.database = { name: 'postgres', url: own.url, drop: () => own.drop() };
    } else {
      shared.database = await createTestDatabase();
    }
    if (opts.ownRedis) {
      shared.redis = await startOwnRedis(await freePort(HOST), (line) =>
        appendLog(shared, `[redis] ${line}`),
      );
      shared.redisUrl = shared.redis.url;
    } else if (opts.redisCluster === true) {
      shared.redisCluster = await startRedisCluster();
      shared.ownsRedisCluster = true;
    } else if (opts.redisCluster) {
      shared.redisCluster = opts.redisCluster;
    }
    return await launch(shared);
  } catch (err) {
    await release(shared).catch(() => {});
    throw err;
  }
}
