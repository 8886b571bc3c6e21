import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStandalone } from './harness/standalone.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MIGRATE = join(REPO_ROOT, 'apps', 'standalone', 'dist', 'migrate.js');

/** `npm run migrate` on `dataDir`: its exit code and what it wrote to stderr. */
async function migrate(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [MIGRATE], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

// Issue 10, defect 6: two relays on one DATA_DIR both started and each overwrote the other's
// pages (300 of 600 acknowledged events gone after a restart).
describe('standalone: one process per DATA_DIR', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('a second relay and `npm run migrate` on a DATA_DIR in use refuse with one line naming the pid', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'nrelay-lock-it-'));
    dirs.push(dataDir);
    const first = await startStandalone({ dataDir });
    try {
      const second = await startStandalone({ dataDir }).catch((err: Error) => err);
      if (!(second instanceof Error)) {
        await second.stop();
        assert.fail('a second relay started on a DATA_DIR in use');
      }
      assert.match(second.message, /exited before listening \(code 1/);
      assert.match(second.message, new RegExp(`DATA_DIR \\S+ is in use by process ${first.pid} `));
      assert.match(second.message, /Stop that process, or set DATA_DIR to another folder/);
      const migration = await migrate(dataDir);
      assert.equal(migration.code, 1);
      assert.equal(migration.stderr.trim().split('\n').length, 1, migration.stderr);
      assert.match(migration.stderr, new RegExp(`is in use by process ${first.pid} `));
      // The first relay still serves.
      const res = await fetch(`${first.httpUrl}/healthz`);
      assert.equal(res.status, 200);
    } finally {
      await first.stop();
    }
    assert.equal(existsSync(join(dataDir, 'nrelay.lock')), false, 'a clean stop removes the lock');
    const migration = await migrate(dataDir);
    assert.equal(migration.code, 0, migration.stderr);
  });

  it('a relay killed with SIGKILL leaves a stale lock that the next start takes over', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'nrelay-lock-it-'));
    dirs.push(dataDir);
    const killed = await startStandalone({ dataDir });
    process.kill(killed.pid!, 'SIGKILL');
    await killed.stop().catch(() => undefined); // reports the unclean exit; nothing left to stop
    assert.ok(existsSync(join(dataDir, 'nrelay.lock')));
    const next = await startStandalone({ dataDir });
    await next.stop();
  });
});
