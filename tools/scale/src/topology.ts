/**
 * The nrelay cluster as many hosts on one machine: each gateway, ingest worker, query service and
 * Redis in its own network namespace (netns.ts), Postgres (its own pg_createcluster cluster) and
 * HAProxy in the root namespace, HAProxy on 127.0.0.1 so load generators run there too.
 *
 * API (stable; the fault tests build on it):
 * - `startTopology({ gateways, ingestWorkers, queryServices, env?, log? })` → {@link Topology};
 *   migrations run first; every service is waited on until its /readyz answers. A failing start
 *   removes everything it created before it rethrows.
 * - Indexes are 0-based (`gateways[0]` is namespace `<tag>-gw1`).
 * - `url`: HAProxy's ws://127.0.0.1:<port>; `gatewayUrls[i]`: gateway i's front address
 *   (ws://10.213.x.(10+i):7777), reachable from the root namespace.
 * - `cutBackLink(i)` / `restoreBackLink(i)`: gateway i loses / regains its back side (Redis,
 *   Postgres, query, ingest); its front (HAProxy, clients) stays up.
 * - `killGateway(i, signal)` (SIGTERM waits for the drain), `killIngest(i, signal)`,
 *   `restartRedis(downMs)` (SIGKILL, no persistence: Redis comes back empty), `startService(s)`
 *   starts a stopped service again in its namespace.
 * - `cleanup()`: every process (by PID), the Postgres cluster, namespaces, links, bridges; also
 *   run on SIGINT/SIGTERM/uncaught errors. Safe to call twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDatabase, freePort, haproxyConfig, type LineSink, ServiceProcess } from '@nrelay/devcluster';
import { type Host, Network, registerCleanup, unregisterCleanup } from './netns.js';
import { createRunPostgres, type RunPostgres } from './postgres.js';
import { at, rank, STOP_ORDER, signalService, waitForRedis } from './processes.js';

/** What to start. */
export interface TopologyOptions {
  gateways: number;
  ingestWorkers: number;
  queryServices: number;
  /** Settings for every service (e.g. HOT_WINDOW_BYTES=0). */
  env?: Record<string, string>;
  /** Where the services' output lines go (default: dropped; the last 200 stay in each ServiceProcess). */
  log?: LineSink;
}

/** A running topology. */
export interface Topology {
  /** The run's tag (`nrs` + 4 hex): prefix of its namespaces, links and Postgres cluster. */
  tag: string;
  network: Network;
  /** HAProxy, for clients: ws://127.0.0.1:<port>. */
  url: string;
  gatewayUrls: string[];
  /** Redis as the root namespace reaches it (the services use the same address). */
  redisUrl: string;
  redisPrefix: string;
  ingestQueue: string;
  /** Postgres as the root namespace reaches it (127.0.0.1). */
  databaseUrl: string;
  hosts: { gateways: Host[]; ingestWorkers: Host[]; queryServices: Host[]; redis: Host };
  gateways: ServiceProcess[];
  ingestWorkers: ServiceProcess[];
  queryServices: ServiceProcess[];
  redis: ServiceProcess;
  haproxy: ServiceProcess;
  cutBackLink(i: number): Promise<void>;
  restoreBackLink(i: number): Promise<void>;
  killGateway(i: number, signal?: NodeJS.Signals): Promise<void>;
  killIngest(i: number, signal?: NodeJS.Signals): Promise<void>;
  restartRedis(downMs?: number): Promise<void>;
  startService(s: ServiceProcess): Promise<void>;
  cleanup(): Promise<void>;
}

const GATEWAY_PORT = 7777;
const QUERY_PORT = 7780;
/** Where each ingest worker serves /readyz and /metrics, inside its namespace. */
export const INGEST_HEALTH_PORT = 7790;
const REDIS_PORT = 6379;
const entry = (pkg: string, file: string) =>
  fileURLToPath(new URL(`../../../${pkg}/dist/${file}`, import.meta.url));

/** Starts the topology; see the module comment for the API. */
export async function startTopology(o: TopologyOptions): Promise<Topology> {
  if (o.gateways < 1 || o.gateways > 40 || o.ingestWorkers < 1 || o.ingestWorkers > 16)
    throw new Error('startTopology: 1–40 gateways and 1–16 ingest workers');
  if (o.queryServices < 1 || o.queryServices > 16) throw new Error('startTopology: 1–16 query services');
  const sink: LineSink = o.log ?? (() => {});
  const net = await Network.create();
  const processes: ServiceProcess[] = [];
  let pg: RunPostgres | undefined;
  let runDir: string | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    unregisterCleanup(cleanup);
    // Gateways first (they drain), then the rest; kill -9 whatever takes longer than 10 s.
    for (let r = 0; r <= STOP_ORDER.length; r++)
      await Promise.all(processes.filter((s) => rank(s) === r).map((s) => s.stop(10_000).catch(() => {})));
    await pg?.drop();
    await net.cleanup();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  };
  registerCleanup(cleanup);
  try {
    const redisHost = await net.addHost('redis', 'r', 2, ['back']);
    const ingestHosts: Host[] = [];
    for (let i = 0; i < o.ingestWorkers; i++)
      ingestHosts.push(await net.addHost(`ingest${i + 1}`, `i${i + 1}`, 10 + i, ['back']));
    const queryHosts: Host[] = [];
    for (let i = 0; i < o.queryServices; i++)
      queryHosts.push(await net.addHost(`query${i + 1}`, `q${i + 1}`, 30 + i, ['back']));
    const gatewayHosts: Host[] = [];
    for (let i = 0; i < o.gateways; i++)
      gatewayHosts.push(await net.addHost(`gw${i + 1}`, `g${i + 1}`, 50 + i, ['front', 'back']));

    const pgPort = await freePort('127.0.0.1');
    pg = await createRunPostgres(net.tag, pgPort, net.backRoot, net.backCidr);
    const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/nrelay`;
    await ensureDatabase(databaseUrl);

    const redisUrl = `redis://${redisHost.address.back}:${REDIS_PORT}`;
    runDir = mkdtempSync(join(tmpdir(), `${net.tag}-`));
    const redisDir = runDir;
    const redis = new ServiceProcess(
      'redis',
      'ip',
      [
        ...redisHost.exec,
        'redis-server',
        ...['--bind', redisHost.address.back!, '--port', String(REDIS_PORT), '--protected-mode', 'no'],
        ...['--save', '', '--appendonly', 'no', '--dir', redisDir, '--loglevel', 'warning'],
      ],
      {},
      undefined,
      sink,
    );
    processes.push(redis);
    await redis.start();
    await waitForRedis(redisUrl);

    const node = process.execPath;
    await new ServiceProcess(
      'migrate',
      node,
      [entry('apps/standalone', 'migrate.js')],
      { DATABASE_URL: databaseUrl },
      undefined,
      sink,
    ).run();

    const redisPrefix = `${net.tag}${randomBytes(3).toString('hex')}`;
    const ingestQueue = `${redisPrefix}-ingest`;
    const common = {
      DATABASE_URL: `postgres://postgres@${net.backRoot}:${pgPort}/nrelay`,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      INGEST_QUEUE: ingestQueue,
      QUERY_SECRET: randomBytes(32).toString('hex'),
      // HAProxy connects from the root namespace's front address with a PROXY v2 header.
      TRUSTED_PROXIES: `127.0.0.1/32,::1/128,${net.frontRoot}/32`,
      ...o.env,
    };
    const inHost = (name: string, host: Host, file: string, env: Record<string, string>, ready: string) =>
      new ServiceProcess(name, 'ip', [...host.exec, node, file], { ...common, ...env }, ready, sink);
    const queryServices = queryHosts.map((h, i) =>
      inHost(
        `query-${i + 1}`,
        h,
        entry('services/query', 'main.js'),
        { HOST: h.address.back!, QUERY_PORT: String(QUERY_PORT) },
        `http://${h.address.back}:${QUERY_PORT}/readyz`,
      ),
    );
    const ingestWorkers = ingestHosts.map((h, i) =>
      inHost(
        `ingest-${i + 1}`,
        h,
        entry('services/ingest', 'main.js'),
        { HOST: h.address.back!, INGEST_HEALTH_PORT: String(INGEST_HEALTH_PORT) },
        `http://${h.address.back}:${INGEST_HEALTH_PORT}/readyz`,
      ),
    );
    const queryUrl = queryHosts.map((h) => `http://${h.address.back}:${QUERY_PORT}`).join(',');
    const gateways = gatewayHosts.map((h, i) =>
      inHost(
        `gateway-${i + 1}`,
        h,
        entry('services/gateway', 'main.js'),
        {
          HOST: h.address.front!,
          PORT: String(GATEWAY_PORT),
          GATEWAY_ID: `gw${i + 1}`,
          QUERY_URL: queryUrl,
          PROXY_PROTOCOL: 'true',
        },
        `http://${h.address.front}:${GATEWAY_PORT}/readyz`,
      ),
    );
    for (const group of [queryServices, ingestWorkers, gateways]) {
      processes.push(...group);
      await Promise.all(group.map((s) => s.start()));
    }

    const haproxyPort = await freePort('127.0.0.1');
    const cfg = join(runDir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      haproxyConfig({
        host: '127.0.0.1',
        port: haproxyPort,
        gateways: gatewayHosts.map((h, i) => ({
          name: `gw${i + 1}`,
          host: h.address.front!,
          port: GATEWAY_PORT,
        })),
      }),
    );
    const haproxy = new ServiceProcess(
      'haproxy',
      'haproxy',
      ['-db', '-f', cfg],
      {},
      `http://127.0.0.1:${haproxyPort}/readyz`,
      sink,
    );
    processes.push(haproxy);
    await haproxy.start(30_000);

    const backLink = (i: number) => {
      const link = gatewayHosts[i]?.link.back;
      if (!link) throw new Error(`no gateway ${i} (0-based) in this topology`);
      return link;
    };
    return {
      tag: net.tag,
      network: net,
      url: `ws://127.0.0.1:${haproxyPort}`,
      gatewayUrls: gatewayHosts.map((h) => `ws://${h.address.front}:${GATEWAY_PORT}`),
      redisUrl,
      redisPrefix,
      ingestQueue,
      databaseUrl,
      hosts: {
        gateways: gatewayHosts,
        ingestWorkers: ingestHosts,
        queryServices: queryHosts,
        redis: redisHost,
      },
      gateways,
      ingestWorkers,
      queryServices,
      redis,
      haproxy,
      cutBackLink: (i) => net.setLink(backLink(i), false),
      restoreBackLink: (i) => net.setLink(backLink(i), true),
      killGateway: (i, signal = 'SIGTERM') => signalService(at(gateways, i, 'gateway'), signal),
      killIngest: (i, signal = 'SIGKILL') => signalService(at(ingestWorkers, i, 'ingest worker'), signal),
      async restartRedis(downMs = 500) {
        await redis.kill();
        await new Promise((r) => setTimeout(r, downMs));
        await redis.start();
        await waitForRedis(redisUrl);
      },
      startService: (s) => s.start(),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw new Error(
      `topology ${net.tag} did not start (everything it created is removed): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
