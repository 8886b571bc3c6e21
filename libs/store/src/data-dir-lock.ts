/**
 * One process per PGlite data directory. PGlite is a single embedded Postgres session with no
 * lock of its own: two processes on one directory both start, both commit, and each overwrites
 * the other's pages (issue 10: half of the acknowledged events gone after a restart). A lock
 * file created with O_EXCL, holding the owner's pid, keeps the second one out (ADR 0011).
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** Name of the lock file inside the data directory. */
export const LOCK_FILE = 'nrelay.lock';

/** What the lock file records about its owner. */
export interface LockOwner {
  pid: number;
  host: string;
  /** The owner's start time in clock ticks since boot (Linux `/proc/<pid>/stat`), to tell a reused pid. */
  start?: number;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

/** A held lock: `release` removes the file (only if it is still ours); idempotent. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/**
 * The data directory is in use by another live process. Its message is the one line to print:
 * who holds it and what to do.
 */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  readonly code = 'E_DATA_DIR_LOCKED';
  constructor(
    readonly dir: string,
    readonly owner: LockOwner | undefined,
    readonly lockPath: string,
  ) {
    super(
      `DATA_DIR ${dir} is in use by ${describeOwner(owner)}: one data directory serves one process. ` +
        `Stop that process, or set DATA_DIR to another folder. If no relay is running there, delete ${lockPath}.`,
    );
  }
}

function describeOwner(owner: LockOwner | undefined): string {
  if (owner === undefined) return 'another process (unreadable lock file)';
  const where = owner.host === hostname() ? '' : ` on host ${owner.host}`;
  return `process ${owner.pid}${where} (since ${owner.since})`;
}

/** Directories this process holds: a second open in the same process is refused too. */
const HELD = new Set<string>();

/** Start time of `pid` in clock ticks since boot, from `/proc`; undefined off Linux or when gone. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]); // field 22, starttime
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return undefined;
    return { pid: owner.pid, host: owner.host, since: String(owner.since), start: owner.start };
  } catch {
    return undefined;
  }
}

/**
 * Whether the owner recorded in a lock is gone: same host and its pid is not running, or is
 * running but started at another time (a reused pid), or is this process's pid (a container
 * restarted with the same pid; a lock this process really holds is caught earlier). A lock
 * from another host, or one that cannot be read, is never stale: it is left to the operator.
 */
export function isStale(owner: LockOwner | undefined): boolean {
  if (owner === undefined || owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const start = processStartTicks(owner.pid);
  return owner.start !== undefined && start !== undefined && start !== owner.start;
}

function create(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...optionalStart(processStartTicks(process.pid)),
  };
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function optionalStart(start: number | undefined): { start?: number } {
  return start === undefined ? {} : { start };
}

/**
 * Takes the lock of a PGlite data directory (creating the directory if needed), or throws a
 * {@link DataDirLockedError} naming the live owner. A stale lock (its owner died without
 * releasing it: kill -9, power loss) is replaced once. Two processes taking over the same
 * stale lock in the same millisecond could both win; starting twice at once after a crash is
 * the one case this does not cover.
 */
export function lockDataDir(dir: string): DataDirLock {
  const absolute = resolve(dir);
  const path = join(absolute, LOCK_FILE);
  if (HELD.has(absolute)) throw new DataDirLockedError(dir, readOwner(path), path);
  mkdirSync(absolute, { recursive: true });
  if (!create(path)) {
    const owner = readOwner(path);
    if (!isStale(owner)) throw new DataDirLockedError(dir, owner, path);
    // Remove the stale file only if it is still the one judged stale.
    if (JSON.stringify(readOwner(path)) === JSON.stringify(owner)) removeFile(path);
    if (!create(path)) throw new DataDirLockedError(dir, readOwner(path), path);
  }
  HELD.add(absolute);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      HELD.delete(absolute);
      if (readOwner(path)?.pid === process.pid) removeFile(path);
    },
  };
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
