import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { isStaleTag } from './leftovers.js';

const run = promisify(execFile);
const VERSION = '15';

/** The run's own Postgres cluster, in the root namespace. */
export interface RunPostgres {
  /** The cluster's name: the run's tag. */
  readonly name: string;
  readonly port: number;
  /** Stops and removes the cluster, data included. Safe to call twice; never throws. */
  drop(): Promise<void>;
}

/**
 * Creates and starts a private Postgres 15 cluster named `tag` (pg_createcluster, never the
 * machine's shared one) on `port`, listening on 127.0.0.1 and `backAddress`, with trust auth for
 * loopback and `backCidr` (the namespaces' back side). No fsync, no synchronous commit: the
 * figures measure the cluster's processes, not this machine's disk (docs/scaling.md says so).
 */
export async function createRunPostgres(
  tag: string,
  port: number,
  backAddress: string,
  backCidr: string,
): Promise<RunPostgres> {
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await run('pg_dropcluster', ['--stop', VERSION, tag], { timeout: 60_000 }).catch(() => {});
  };
  try {
    // Settings written to the new cluster's postgresql.conf.
    const settings: Record<string, string> = {
      listen_addresses: `127.0.0.1,${backAddress}`,
      max_connections: '400',
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
    };
    const options = Object.entries(settings).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
    const auth = ['--auth-host=trust', '--auth-local=trust'];
    await run('pg_createcluster', [VERSION, tag, '-p', String(port), ...options, '--', ...auth], {
      timeout: 60_000,
    });
    appendFileSync(`/etc/postgresql/${VERSION}/${tag}/pg_hba.conf`, `host all all ${backCidr} trust\n`);
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, tag, 'start'], { timeout: 60_000 });
  } catch (err) {
    await drop();
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('the scale harness needs postgresql-15 (pg_createcluster)');
    throw new Error(`own Postgres ${tag}: ${(e.stderr ?? e.message).trim()}`);
  }
  return { name: tag, port, drop };
}

/** Names of this machine's Postgres 15 clusters (pg_lsclusters). */
export async function listClusters(): Promise<string[]> {
  const { stdout } = await run('pg_lsclusters', ['-h'], { timeout: 30_000 }).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([version, name]) => version === VERSION && name)
    .map(([, name]) => name as string);
}

/** Drops the Postgres clusters of crashed runs (named `nrs` + 4 hex, owner gone). */
export async function dropStaleClusters(): Promise<string[]> {
  const dropped: string[] = [];
  for (const name of await listClusters()) {
    if (!/^nrs[0-9a-f]{4}$/.test(name) || !isStaleTag(name)) continue;
    await run('pg_dropcluster', ['--stop', VERSION, name], { timeout: 60_000 }).catch(() => {});
    dropped.push(name);
  }
  return dropped;
}

/** The postmaster's PID of the run's cluster (from its postmaster.pid), or undefined. */
export function postmasterPid(tag: string): number | undefined {
  try {
    const pid = Number(
      readFileSync(`/var/lib/postgresql/${VERSION}/${tag}/postmaster.pid`, 'utf8').split('\n')[0],
    );
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
