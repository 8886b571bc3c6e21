#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, startCluster } from '@nrelay/devcluster';
import pg from 'pg';

/**
 * `npm run bench`: a fresh local cluster (2 gateways behind HAProxy, ingest, query) on a new
 * database and Redis prefix, the standard benchmark set against it, docs/benchmarks.md written,
 * then everything stopped and the database dropped. Extra arguments go to standard.js
 * (e.g. `npm run bench -- --quick`).
 */
const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `nrelay_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
const databaseUrl = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
const port = await freePort();
const cluster = await startCluster({
  host: '127.0.0.1',
  port,
  databaseUrl,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  redisPrefix: `bench${process.pid}`,
  gateways: 2,
  ingestWorkers: 1,
  queryServices: 1,
  queryPort: await freePort(),
  ingestHealthPort: await freePort(),
  haproxy: true,
  env: { LOG_LEVEL: 'warn' },
  sink: () => {},
}).catch((err: unknown) => {
  process.stderr.write(`could not start the cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

let code = 1;
try {
  const pids = [...cluster.gateways, ...cluster.ingestWorkers, ...cluster.queryServices]
    .map((s) => s.pid)
    .filter((p): p is number => p !== undefined);
  const out = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));
  const args = [
    fileURLToPath(new URL('./standard.js', import.meta.url)),
    '--url',
    cluster.url,
    '--sub-url',
    cluster.gatewayUrls[1] ?? cluster.url,
    '--pids',
    pids.join(','),
    '--database-url',
    databaseUrl,
    '--label',
    'cluster: 2 gateways behind HAProxy, 1 ingest worker, 1 query service, Postgres 15, Redis 7',
    '--out',
    out,
    ...process.argv.slice(2),
  ];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
} finally {
  await cluster.stop();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`drop database if exists "${name}" with (force)`);
  await client.end();
}
process.exit(code);
