import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisTargetOf } from '@nrelay/redis';
import pg from 'pg';
import { haproxyConfig } from './haproxy.js';
import { assertPortsFree, assertSettingsValid, claimRedisPrefix } from './preflight.js';
import { type LineSink, ServiceProcess } from './service.js';

/** What to start. Every port is explicit so tests can pick free ones. */
export interface ClusterOptions {
  host: string;
  /** HAProxy's port; gateway i (1-based) listens on port + i. */
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: a Redis Cluster's seed nodes (host:port); empty or absent: `redisUrl`. */
  redisClusterNodes?: readonly string[];
  redisPrefix: string;
  gateways: number;
  ingestWorkers: number;
  queryServices: number;
  /** Query service i listens on queryPort + i - 1; ingest worker i's health port is ingestHealthPort + i - 1. */
  queryPort: number;
  ingestHealthPort: number;
  /** Settings passed to every service. */
  env?: Record<string, string>;
  haproxy: boolean;
  sink: LineSink;
}

/** A running local cluster. */
export interface Cluster {
  /** The load-balanced WebSocket URL (HAProxy), or the first gateway's when HAProxy is off. */
  url: string;
  gatewayUrls: string[];
  gateways: ServiceProcess[];
  ingestWorkers: ServiceProcess[];
  queryServices: ServiceProcess[];
  haproxy: ServiceProcess | undefined;
  /** Stops everything: gateways first (they drain), then ingest, query and HAProxy. */
  stop(): Promise<void>;
}

/**
 * Node arguments starting a service: the telemetry register module first (it starts tracing
 * when the OTEL_* settings ask for it and does nothing otherwise), then the entry.
 */
const TELEMETRY_REGISTER = import.meta.resolve('@nrelay/telemetry/register');
const withTelemetry = (entryFile: string) => ['--import', TELEMETRY_REGISTER, entryFile];

const entry = (pkg: string, file: string) =>
  fileURLToPath(new URL(`../../../${pkg}/dist/${file}`, import.meta.url));

/** REDIS_CLUSTER_NODES for the services when the cluster runs on a Redis Cluster. */
function clusterNodesEnv(o: ClusterOptions): Record<string, string> {
  const nodes = o.redisClusterNodes ?? [];
  return nodes.length === 0 ? {} : { REDIS_CLUSTER_NODES: nodes.join(',') };
}

/** Creates the database named in `databaseUrl` on its server when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`database name ${JSON.stringify(name)} must be [A-Za-z0-9_]+`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect().catch((err: unknown) => {
    throw new Error(
      `cannot reach Postgres at ${url.host} (${err instanceof Error ? err.message : String(err)}); start it (e.g. pg_ctlcluster --skip-systemctl-redirect 15 main start) or set DATABASE_URL`,
    );
  });
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/**
 * Starts migrations, query services, ingest workers, gateways and (optionally) HAProxy as child
 * processes against the given Postgres and Redis, each waited on until its /readyz answers.
 */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  // Preflight, before any side effect: the services' settings valid, every port free, Redis
  // reachable and this prefix not used by another cluster, Postgres reachable (and the
  // database created).
  assertSettingsValid({
    ...process.env,
    ...o.env,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.redisPrefix,
    ...clusterNodesEnv(o),
  });
  await assertPortsFree(o.host, [
    ...(o.haproxy ? [{ port: o.port, what: 'HAProxy, PORT' }] : []),
    ...Array.from({ length: o.gateways }, (_, i) => ({
      port: o.port + i + 1,
      what: `gateway ${i + 1}, PORT+${i + 1}`,
    })),
    ...Array.from({ length: o.queryServices }, (_, i) => ({ port: o.queryPort + i, what: `query ${i + 1}` })),
    ...Array.from({ length: o.ingestWorkers }, (_, i) => ({
      port: o.ingestHealthPort + i,
      what: `ingest ${i + 1}`,
    })),
  ]);
  const redis = redisTargetOf(o.redisUrl, o.redisClusterNodes);
  const claim = await claimRedisPrefix(redis, o.redisPrefix, o.databaseUrl);
  try {
    return await startClaimed(o, claim.release);
  } catch (err) {
    await claim.release();
    throw err;
  }
}

async function startClaimed(o: ClusterOptions, releasePrefix: () => Promise<void>): Promise<Cluster> {
  await ensureDatabase(o.databaseUrl);
  const common = {
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.redisPrefix,
    ...clusterNodesEnv(o),
    // Gateways and query services share one secret per run (the query service trusts no one else).
    QUERY_SECRET: randomBytes(32).toString('hex'),
    ...o.env,
  };
  const node = process.execPath;
  await new ServiceProcess(
    'migrate',
    node,
    [entry('apps/standalone', 'migrate.js')],
    common,
    undefined,
    o.sink,
  ).run();

  const queryUrls = Array.from({ length: o.queryServices }, (_, i) => `http://${o.host}:${o.queryPort + i}`);
  const queryServices = queryUrls.map(
    (url, i) =>
      new ServiceProcess(
        `query-${i + 1}`,
        node,
        withTelemetry(entry('services/query', 'main.js')),
        { OTEL_SERVICE_NAME: 'nrelay-query', ...common, HOST: o.host, QUERY_PORT: String(o.queryPort + i) },
        `${url}/readyz`,
        o.sink,
      ),
  );
  const ingestWorkers = Array.from(
    { length: o.ingestWorkers },
    (_, i) =>
      new ServiceProcess(
        `ingest-${i + 1}`,
        node,
        withTelemetry(entry('services/ingest', 'main.js')),
        {
          OTEL_SERVICE_NAME: 'nrelay-ingest',
          ...common,
          HOST: o.host,
          INGEST_HEALTH_PORT: String(o.ingestHealthPort + i),
        },
        `http://${o.host}:${o.ingestHealthPort + i}/readyz`,
        o.sink,
      ),
  );
  const gateways = Array.from(
    { length: o.gateways },
    (_, i) =>
      new ServiceProcess(
        `gateway-${i + 1}`,
        node,
        withTelemetry(entry('services/gateway', 'main.js')),
        {
          OTEL_SERVICE_NAME: 'nrelay-gateway',
          ...common,
          HOST: o.host,
          PORT: String(o.port + i + 1),
          GATEWAY_ID: `gw${i + 1}`,
          QUERY_URL: queryUrls.join(','),
          // HAProxy sends the client address in a PROXY v2 header (see haproxy.ts).
          ...(o.haproxy ? { PROXY_PROTOCOL: 'true' } : {}),
        },
        `http://${o.host}:${o.port + i + 1}/readyz`,
        o.sink,
      ),
  );
  const started: ServiceProcess[] = [];
  const stopAll = async () => {
    for (const group of [gateways, ingestWorkers, queryServices])
      await Promise.all(group.map((s) => s.stop()));
    await haproxy?.stop();
    if (haproxyDir) rmSync(haproxyDir, { recursive: true, force: true });
    await releasePrefix();
  };
  let haproxy: ServiceProcess | undefined;
  let haproxyDir: string | undefined;
  try {
    for (const group of [queryServices, ingestWorkers, gateways]) {
      await Promise.all(group.map((s) => s.start()));
      started.push(...group);
    }
    if (o.haproxy) {
      haproxyDir = mkdtempSync(join(tmpdir(), 'nrelay-haproxy-'));
      const cfg = join(haproxyDir, 'haproxy.cfg');
      const layout = {
        host: o.host,
        port: o.port,
        gateways: gateways.map((_, i) => ({ name: `gw${i + 1}`, port: o.port + i + 1 })),
      };
      writeFileSync(cfg, haproxyConfig(layout));
      haproxy = new ServiceProcess(
        'haproxy',
        'haproxy',
        ['-db', '-f', cfg],
        {},
        `http://${o.host}:${o.port}/readyz`,
        o.sink,
      );
      await haproxy.start(30_000).catch((err: unknown) => {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        throw missing
          ? new Error('haproxy is not installed: apt-get install haproxy (or run with HAPROXY=0)')
          : err;
      });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const gatewayUrls = gateways.map((_, i) => `ws://${o.host}:${o.port + i + 1}`);
  return {
    url: o.haproxy ? `ws://${o.host}:${o.port}` : gatewayUrls[0]!,
    gatewayUrls,
    gateways,
    ingestWorkers,
    queryServices,
    haproxy,
    stop: stopAll,
  };
}
