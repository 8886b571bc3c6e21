/**
 * A real Postgres streaming replica for the read-replica tests (ADR 0024): a private primary
 * (own-postgres.ts, wal_level=replica by default) and a hot standby made from it with
 * `pg_basebackup -R` into a temporary directory, started with `pg_ctl` as the `postgres` OS
 * user (Postgres refuses to run as root). The machine's Postgres is never touched.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@nrelay/devcluster';
import pg from 'pg';
import { type OwnPostgres, startOwnPostgres } from './own-postgres.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const HOST = '127.0.0.1';

/** A private primary and one hot standby streaming from it. */
export interface ReadReplicaPair {
  readonly primary: OwnPostgres;
  /** `postgres://postgres@127.0.0.1:<replica port>/postgres` */
  readonly replicaUrl: string;
  /**
   * Sets `recovery_min_apply_delay` on the standby (ALTER SYSTEM + reload): each commit becomes
   * visible there only `ms` after it happened on the primary. 0 removes the delay.
   */
  setApplyDelay(ms: number): Promise<void>;
  /** Stops the standby (fast shutdown). */
  downReplica(): Promise<void>;
  /** Starts it again and waits until it accepts connections. */
  upReplica(): Promise<void>;
  /** Resolves once the standby has replayed everything the primary had written when called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops both servers and removes their data. Safe to call twice. */
  stop(): Promise<void>;
}

async function asPostgres(command: string, args: string[], timeout = 60_000): Promise<void> {
  await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout });
}

async function oneValue(url: string, text: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query(text);
    return Object.values(rows[0] ?? {})[0];
  } finally {
    await client.end().catch(() => {});
  }
}

async function acceptsReads(url: string): Promise<true | undefined> {
  return (await oneValue(url, 'select pg_is_in_recovery()').catch(() => undefined)) === true
    ? true
    : undefined;
}

/**
 * Starts a private primary and a streaming hot standby of it on free ports. The caller must
 * `stop()` the pair, in a `finally` or an `after` hook, even when the test fails.
 */
export async function startReadReplicaPair(): Promise<ReadReplicaPair> {
  const primary = await startOwnPostgres(await freePort(HOST));
  const primaryPort = new URL(primary.url).port;
  let dir: string | undefined;
  let started = false;
  const data = () => join(dir as string, 'data');
  const ctl = (action: 'start' | 'stop') =>
    action === 'start'
      ? asPostgres(`${BIN}/pg_ctl`, [
          '-D',
          data(),
          '-l',
          join(dir as string, 'log'),
          '-w',
          '-t',
          '60',
          'start',
        ])
      : asPostgres(`${BIN}/pg_ctl`, ['-D', data(), '-m', 'fast', '-w', 'stop']);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (started) await ctl('stop').catch(() => {});
      if (dir) await rm(dir, { recursive: true, force: true });
    } finally {
      await primary.drop();
    }
  };
  try {
    const port = await freePort(HOST);
    dir = await mkdtemp(join(tmpdir(), 'nrelay-replica-'));
    // Owned by postgres: the server refuses a data directory it does not own.
    await run('chown', ['postgres:postgres', dir]);
    await asPostgres(`${BIN}/pg_basebackup`, [
      '-R',
      '-D',
      data(),
      '-h',
      HOST,
      '-p',
      primaryPort,
      '-U',
      'postgres',
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    // Debian keeps a cluster's configuration outside its data directory: the copy has none.
    const conf = [
      `port = ${port}`,
      `listen_addresses = '${HOST}'`,
      `unix_socket_directories = '${dir}'`,
      'hot_standby = on',
      'fsync = off',
      'max_connections = 100',
      // The replica's queries are not cancelled by the primary's vacuum during a test.
      'max_standby_streaming_delay = 30s',
    ];
    await writeFile(join(data(), 'postgresql.conf'), conf.join('\n') + '\n');
    await writeFile(join(data(), 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    await run('chown', ['-R', 'postgres:postgres', dir]);
    await ctl('start');
    started = true;
    const replicaUrl = `postgres://postgres@${HOST}:${port}/postgres`;
    await waitUntil(() => acceptsReads(replicaUrl), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'hot standby accepting reads',
    });
    return {
      primary,
      replicaUrl,
      async setApplyDelay(ms) {
        const client = new pg.Client({ connectionString: replicaUrl });
        await client.connect();
        try {
          await client.query(
            `alter system set recovery_min_apply_delay = '${Math.max(0, Math.floor(ms))}ms'`,
          );
          await client.query('select pg_reload_conf()');
        } finally {
          await client.end();
        }
      },
      downReplica: () => ctl('stop'),
      async upReplica() {
        await ctl('start');
        await waitUntil(() => acceptsReads(replicaUrl), {
          timeoutMs: 30_000,
          intervalMs: 100,
          what: 'hot standby back',
        });
      },
      async caughtUp(timeoutMs = 30_000) {
        const target = String(await oneValue(primary.url, 'select pg_current_wal_insert_lsn()::text'));
        await waitUntil(
          async () =>
            (await oneValue(replicaUrl, `select pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`)) === true
              ? true
              : undefined,
          { timeoutMs, intervalMs: 50, what: `standby replayed ${target}` },
        );
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
