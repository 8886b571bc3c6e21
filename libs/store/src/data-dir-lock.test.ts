import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataDirLockedError, LOCK_FILE, lockDataDir, processStartTicks } from './data-dir-lock.js';
import { createDatabase } from './database.js';

const root = await mkdtemp(join(tmpdir(), 'nrelay-lock-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

/** A child process that holds the lock of `dir` until it is killed. */
async function childHolding(dir: string) {
  const url = new URL('./data-dir-lock.js', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(url)}); m.lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'locked');
  return child;
}

describe('lockDataDir', () => {
  it('refuses a second holder in this process, naming the owner, until released', () => {
    const dir = freshDir();
    const lock = lockDataDir(dir);
    assert.ok(existsSync(join(dir, LOCK_FILE)));
    assert.throws(
      () => lockDataDir(dir),
      (err: unknown) =>
        err instanceof DataDirLockedError &&
        err.message.includes(`process ${process.pid}`) &&
        err.message.includes('Stop that process, or set DATA_DIR to another folder') &&
        !err.message.includes('\n'),
    );
    lock.release();
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    lockDataDir(dir).release();
  });

  it('refuses while another live process holds it, and takes it over once that one is killed', async () => {
    const dir = freshDir();
    const child = await childHolding(dir);
    try {
      assert.throws(
        () => lockDataDir(dir),
        (err: unknown) => err instanceof DataDirLockedError && err.owner?.pid === child.pid,
      );
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    // kill -9 left the file behind: its owner is gone, so the lock is stale.
    assert.ok(existsSync(join(dir, LOCK_FILE)));
    const lock = lockDataDir(dir);
    lock.release();
  });

  it('treats a reused pid (same pid, other start time) as stale, a lock from another host as held', () => {
    const dir = freshDir();
    lockDataDir(dir).release();
    const path = join(dir, LOCK_FILE);
    const start = processStartTicks(process.ppid);
    const since = new Date().toISOString();
    if (start !== undefined) {
      // The parent process is alive but did not start at this time: its pid was reused.
      writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), start: start + 1, since }));
      lockDataDir(dir).release();
      writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), start, since }));
      assert.throws(() => lockDataDir(dir), DataDirLockedError);
    }
    writeFileSync(path, JSON.stringify({ pid: 1, host: `not-${hostname()}`, since }));
    assert.throws(() => lockDataDir(dir), /on host not-/);
    writeFileSync(path, 'garbage');
    assert.throws(() => lockDataDir(dir), /unreadable lock file/);
  });
});

describe('createDatabase on a PGlite data directory', () => {
  it('refuses a second open of the same directory and frees it on close', async () => {
    const dir = freshDir();
    const first = await createDatabase({ dataDir: dir });
    try {
      await assert.rejects(createDatabase({ dataDir: dir }), DataDirLockedError);
    } finally {
      await first.close();
    }
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    const again = await createDatabase({ dataDir: dir });
    await again.close();
  });
});
