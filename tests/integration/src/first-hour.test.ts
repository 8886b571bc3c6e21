import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePortBlock } from './harness/cluster.js';
import { createTestDatabase } from './harness/postgres.js';
import { isAlive } from './harness/process.js';
import { deleteRedisPrefix, SHARED_REDIS_URL, uniqueRedisPrefix } from './harness/redis.js';
import { startStandalone } from './harness/standalone.js';

// What a newcomer meets in the first hour with the README (issue 10 "first-hour frictions"):
// stopping `npm start` / `npm run cluster` by signalling npm, and start failures that are one
// clear line before anything was created.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STANDALONE = join(REPO_ROOT, 'apps', 'standalone', 'dist', 'main.js');
const DEVCLUSTER = join(REPO_ROOT, 'apps', 'devcluster', 'dist', 'main.js');

/** Every live process below `root` (from /proc), children first. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command may contain spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      walk(child);
      out.push(child);
    }
  };
  walk(root);
  return out;
}

function run(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, out: () => out };
}

async function until(what: string, check: () => boolean, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms; output:\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** How many tables the public schema of `url` holds. */
async function tableCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select count(*)::int as n from pg_tables where schemaname = 'public'",
    );
    return (rows[0] as { n: number }).n;
  } finally {
    await client.end();
  }
}

/** SIGKILLs what is left (the test failed) so nothing outlives it. */
function reap(pids: number[]): void {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** The hash turbo gives each build task of `npm start`'s package graph under `env`. */
function buildHashes(env: Record<string, string>): string[] {
  const out = execFileSync('npx', ['turbo', 'run', 'build', '--filter=@nrelay/standalone...', '--dry=json'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const dry = JSON.parse(out) as { tasks: { taskId: string; hash: string }[] };
  return dry.tasks.map((t) => `${t.taskId}=${t.hash}`).sort();
}

describe('first hour', () => {
  it('changing DATABASE_URL or REDIS_URL rebuilds nothing (runtime settings are not build inputs)', {
    timeout: 60_000,
  }, () => {
    const a = buildHashes({
      DATABASE_URL: 'postgres://a@127.0.0.1:5432/a',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    const b = buildHashes({
      DATABASE_URL: 'postgres://b@127.0.0.1:5432/b',
      REDIS_URL: 'redis://127.0.0.1:2',
    });
    assert.ok(a.length >= 10, `expected the whole build graph, got ${a.length} tasks`);
    assert.deepEqual(a, b);
  });

  it("the README's nostr-tools example runs as printed on this Node.js", { timeout: 60_000 }, async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using it'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    if (code === undefined || !code.includes("'ws://127.0.0.1:7777'"))
      assert.fail('no nostr-tools example in "Using it"');
    const relay = await startStandalone();
    // Next to the workspace's node_modules, so its imports resolve as in a user's project.
    const file = join(REPO_ROOT, 'tests', 'integration', 'dist', `readme-example-${process.pid}.mjs`);
    try {
      await writeFile(file, code.replace("'ws://127.0.0.1:7777'", `'${relay.url}'`));
      const example = run(process.execPath, [file], {});
      const code_ = await Promise.race([
        exitOf(example.child),
        new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000)),
      ]);
      if (code_ === 'timeout') example.child.kill('SIGKILL');
      assert.equal(code_, 0, example.out());
      assert.match(example.out(), /^hello$/m);
    } finally {
      await rm(file, { force: true });
      await relay.stop();
    }
  });

  it('kill -TERM of the npm process of `npm start` stops the relay; the first start says it creates the database', {
    timeout: 90_000,
  }, async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'nrelay-fh-')), 'data');
    const port = await freePortBlock(1);
    // --ignore-scripts skips only the pre-start build (done already); `start` itself runs.
    const npm = run('npm', ['start', '--ignore-scripts'], { DATA_DIR: dataDir, PORT: String(port) });
    let tree: number[] = [];
    try {
      await until('the relay listening', () => npm.out().includes('"relay listening"'), 60_000, npm.out);
      const log = npm.out();
      const creating = log.indexOf('first start: creating the embedded database');
      assert.ok(
        creating >= 0 && creating < log.indexOf('"relay listening"'),
        'no word while the database is created',
      );
      tree = descendants(npm.child.pid!);
      assert.ok(tree.length > 0);
      npm.child.kill('SIGTERM');
      await until('every process of `npm start` gone', () => tree.every((p) => !isAlive(p)), 15_000, npm.out);
    } finally {
      reap(tree);
      npm.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('an invalid PRIVILEGED_KINDS or a taken port: one line, exit, nothing created', {
    timeout: 30_000,
  }, async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'nrelay-fh-')), 'data');
    try {
      const bad = run(process.execPath, [STANDALONE], {
        DATA_DIR: dataDir,
        PORT: '0',
        PRIVILEGED_KINDS: '4,dm',
      });
      assert.equal(await exitOf(bad.child), 2);
      assert.match(bad.out(), /PRIVILEGED_KINDS: "dm" is not an event kind/);
      assert.doesNotMatch(bad.out(), /\n\s+at /, 'a stack trace');
      assert.equal(
        existsSync(dataDir),
        false,
        'the data folder was created before the settings were checked',
      );

      const first = run(process.execPath, [STANDALONE], { DATA_DIR: `${dataDir}-a`, PORT: '0' });
      await until(
        'the first relay listening',
        () => first.out().includes('"relay listening"'),
        60_000,
        first.out,
      );
      const port = /"url":"ws:\/\/127\.0\.0\.1:(\d+)"/.exec(first.out())?.[1];
      const second = run(process.execPath, [STANDALONE], { DATA_DIR: dataDir, PORT: String(port) });
      assert.equal(await exitOf(second.child), 1);
      first.child.kill('SIGTERM');
      await exitOf(first.child);
      assert.match(second.out(), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.doesNotMatch(second.out(), /\n\s+at /, 'a stack trace');
      assert.equal(existsSync(dataDir), false, 'the data folder was created before the port was checked');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await rm(`${dataDir}-a`, { recursive: true, force: true });
    }
  });

  it('the cluster launcher: Redis unreachable and a prefix in use are one line each; it stops everything when its parent dies', {
    timeout: 120_000,
  }, async () => {
    const database = await createTestDatabase();
    const prefix = uniqueRedisPrefix();
    const base = await freePortBlock(12);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_PREFIX: prefix,
      INGEST_QUEUE: `${prefix}-ingest`,
      PORT: String(base),
      QUERY_PORT: String(base + 5),
      INGEST_HEALTH_PORT: String(base + 7),
      LOG_LEVEL: 'warn',
    };
    let tree: number[] = [];
    // Started as npm starts it: npm → sh → node; the shell is then killed as npm would be.
    const shell = run('sh', ['-c', `"${process.execPath}" "${DEVCLUSTER}" & wait`], {
      ...env,
      npm_lifecycle_event: 'cluster',
    });
    try {
      // An invalid setting only the services read: refused before the database is migrated.
      const badKinds = run(process.execPath, [DEVCLUSTER], {
        ...env,
        PRIVILEGED_KINDS: '4,dm',
        PORT: String(base + 9),
      });
      assert.equal(await exitOf(badKinds.child), 1);
      assert.match(badKinds.out(), /PRIVILEGED_KINDS: "dm" is not an event kind/);
      assert.doesNotMatch(badKinds.out(), /migration/);
      assert.equal(await tableCount(database.url), 0, 'the launcher migrated before checking the settings');

      const startedAt = Date.now();
      const noRedis = run(process.execPath, [DEVCLUSTER], {
        ...env,
        REDIS_URL: 'redis://127.0.0.1:1',
        PORT: String(base + 9),
      });
      assert.equal(await exitOf(noRedis.child), 1);
      assert.ok(Date.now() - startedAt < 15_000, 'an unreachable Redis took more than 15 s to report');
      assert.match(noRedis.out(), /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 .*set REDIS_URL/);

      await until('the cluster up', () => shell.out().includes('nrelay cluster is up'), 90_000, shell.out);
      const other = await createTestDatabase();
      try {
        const twin = run(process.execPath, [DEVCLUSTER], {
          ...env,
          DATABASE_URL: other.url,
          PORT: String(base + 9),
          QUERY_PORT: String(base + 8),
          INGEST_HEALTH_PORT: String(base + 4),
        });
        assert.equal(await exitOf(twin.child), 1);
        assert.match(twin.out(), new RegExp(`another nrelay cluster already uses Redis prefix "${prefix}"`));
        assert.match(twin.out(), new RegExp(`database 127\\.0\\.0\\.1:5432/${database.name}`));
      } finally {
        await other.drop();
      }

      tree = descendants(shell.child.pid!);
      assert.ok(tree.length >= 5, `expected launcher, services and HAProxy, found ${tree.length} processes`);
      shell.child.kill('SIGKILL');
      await until(
        'every process of the cluster gone',
        () => tree.every((p) => !isAlive(p)),
        30_000,
        shell.out,
      );
    } finally {
      reap(tree);
      shell.child.kill('SIGKILL');
      await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
      await database.drop();
    }
  });
});
