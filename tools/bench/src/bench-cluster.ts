#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, startCluster } from '@nrelay/devcluster';
import pg from 'pg';
import { openFileLimit } from './machine.js';
import { fileLimitAdvice } from './scenarios/idle.js';

/**
 * `npm run bench`: a fresh local cluster (2 gateways behind HAProxy, ingest, query) on a new
 * database and Redis prefix, the standard benchmark set against it, then reads and ingest on an
 * embedded relay that standard.js starts (--embedded), docs/benchmarks.md written, then everything stopped and the
 * database dropped. Extra arguments go to standard.js (e.g. `npm run bench -- --quick`). Seed,
 * REQ and stream go through HAProxy; reads and ingest go to gateway 1's own port, where fan-out
 * publishes; fan-out subscribes on gateway 2's, where the idle connections go too (gateway 2's
 * memory is what idle measures).
 */

/** STATS_CHECK_SECONDS of every relay of the run (cluster ingest worker, embedded relay). */
const STATS_CHECK_SECONDS = 5;
/** Idle connections of the standard set, plus descriptors each process needs besides them. */
const IDLE_FILES = 10_000 + 64;
// Node raises its soft open-file limit to the hard one at start, and every service of the
// cluster is a node child of this process: the hard limit here is what they all get.
const hard = openFileLimit('self', 'hard');
if (hard !== undefined && hard < IDLE_FILES) {
  process.stderr.write(
    `open-file hard limit ${hard} < ${IDLE_FILES}: the idle scenario will open fewer than 10,000 connections. ` +
      `${fileLimitAdvice(10_000)}\n`,
  );
}
const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `nrelay_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
const databaseUrl = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
const port = await freePort();
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `bench${process.pid}`;
const cluster = await startCluster({
  host: '127.0.0.1',
  port,
  databaseUrl,
  redisUrl,
  redisPrefix,
  gateways: 2,
  ingestWorkers: 1,
  queryServices: 1,
  queryPort: await freePort(),
  ingestHealthPort: await freePort(),
  haproxy: true,
  // Default settings: the bench measures what a user gets (the per-connection REQ limit is far
  // above what one closed-loop client sends). Statistics are checked every 5 s instead of 60 so
  // the reads step's wait for the relay's own ANALYZE is short; the relay still does it itself.
  env: { LOG_LEVEL: 'warn', STATS_CHECK_SECONDS: String(STATS_CHECK_SECONDS) },
  sink: () => {},
}).catch((err: unknown) => {
  process.stderr.write(`could not start the cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

let code = 1;
try {
  const idlePid = cluster.gateways[1]?.pid;
  const [pubUrl, subUrl] = cluster.gatewayUrls;
  if (idlePid === undefined || pubUrl === undefined || subUrl === undefined)
    throw new Error('the cluster has fewer than two gateways running');
  const out = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));
  const args = [
    fileURLToPath(new URL('./standard.js', import.meta.url)),
    '--url',
    cluster.url,
    '--gateway-url',
    pubUrl,
    '--embedded',
    '--stats-check-seconds',
    String(STATS_CHECK_SECONDS),
    '--pub-url',
    pubUrl,
    '--sub-url',
    subUrl,
    '--pids',
    String(idlePid),
    '--database-url',
    databaseUrl,
    '--redis-url',
    redisUrl,
    '--redis-prefix',
    redisPrefix,
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
