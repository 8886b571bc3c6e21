import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { waitUntil } from './wait.js';

const run = promisify(execFile);
const VERSION = '15';

/**
 * A private PostgreSQL cluster (pg_createcluster) that a test may stop, restart and terminate
 * backends of, never the machine's shared one. Trust authentication, listening on localhost only (the default), no fsync.
 */
export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly name: string;
  /** Stops the server (fast shutdown: sessions get 57P01), waits `downMs`, starts it again. */
  restart(downMs?: number): Promise<void>;
  /** Stops the server (fast shutdown). */
  down(): Promise<void>;
  /** Starts it again and waits until it accepts connections. */
  up(): Promise<void>;
  /** Stops and removes the cluster (data included). Safe to call twice. */
  drop(): Promise<void>;
}

async function ctl(name: string, action: 'start' | 'stop'): Promise<void> {
  const args = action === 'stop' ? [VERSION, name, 'stop', '-m', 'fast'] : [VERSION, name, 'start'];
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', ...args], { timeout: 30_000 });
}

async function accepts(url: string): Promise<true | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates and starts a private Postgres 15 cluster on `port` (named uniquely per run). The
 * caller must `drop()` it, in a `finally` or an `after` hook, even when the test fails.
 */
export async function startOwnPostgres(port: number): Promise<OwnPostgres> {
  const name = `nrelay_it_${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await run('pg_dropcluster', ['--stop', VERSION, name], { timeout: 60_000 });
  };
  try {
    await run(
      'pg_createcluster',
      [
        VERSION,
        name,
        '-p',
        String(port),
        '-o',
        'fsync=off',
        '-o',
        'synchronous_commit=off',
        '-o',
        'full_page_writes=off',
        '--',
        '--auth-host=trust',
        '--auth-local=trust',
      ],
      { timeout: 60_000 },
    );
    await ctl(name, 'start');
    await waitUntil(() => accepts(url), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `private Postgres ${name}`,
    });
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  const up = async () => {
    await ctl(name, 'start');
    await waitUntil(() => accepts(url), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `private Postgres ${name} back`,
    });
  };
  return {
    url,
    name,
    down: () => ctl(name, 'stop'),
    up,
    async restart(downMs = 0) {
      await ctl(name, 'stop');
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await up();
    },
    drop,
  };
}
