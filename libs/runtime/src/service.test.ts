import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/echo-service.js', import.meta.url));

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, [fixture], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return { child, out: () => stdout, err: () => stderr };
}

test('invalid settings stop the process with exit 2 and name every problem', async () => {
  const p = launch({ PORT: 'x', MAX_LIMIT: '-1' });
  const [code] = await once(p.child, 'exit');
  assert.equal(code, 2);
  assert.match(p.err(), /PORT="x" is not an integer/);
  assert.match(p.err(), /MAX_LIMIT=-1 is below the minimum 1/);
});

test('a started service logs JSON with its name and stops cleanly on SIGTERM', async () => {
  const p = launch({ PORT: '1234', LOG_LEVEL: 'info' });
  const deadline = Date.now() + 10_000;
  while (!p.out().includes('echo started') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const started = JSON.parse(
    p
      .out()
      .split('\n')
      .find((l) => l.includes('echo started')) ?? '{}',
  );
  assert.equal(started.service, 'echo');
  assert.equal(started.port, 1234);
  p.child.kill('SIGTERM');
  const [code] = await once(p.child, 'exit');
  assert.equal(code, 0);
  assert.match(p.out(), /"msg":"stopped"/);
});

/**
 * Starts the echo service under a shell, as `npm start` does (npm → sh → node), and returns
 * the service's pid once it logged its start.
 */
async function launchUnderShell(env: Record<string, string>) {
  const shell = spawn('sh', ['-c', `"${process.execPath}" "${fixture}" & echo "pid=$!"; wait`], {
    env: { PATH: process.env.PATH ?? '', PORT: '1234', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  shell.stdout.on('data', (d) => {
    stdout += d;
  });
  const deadline = Date.now() + 10_000;
  while (!stdout.includes('echo started') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const pid = Number(/pid=(\d+)/.exec(stdout)?.[1]);
  if (!(pid > 0) || !stdout.includes('echo started')) {
    shell.kill('SIGKILL');
    if (pid > 0) process.kill(pid, 'SIGKILL');
    assert.fail(`service did not start: ${stdout}`);
  }
  return { shell, pid, out: () => stdout };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('started by npm, the service stops when its parent dies (npm does not forward SIGTERM)', async () => {
  const p = await launchUnderShell({ npm_lifecycle_event: 'start' });
  p.shell.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive(p.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(p.pid), false, 'the orphaned service is still running');
  assert.match(p.out(), /"signal":"parent exited"/);
});

test('started by hand, the service outlives the shell that started it', async () => {
  const p = await launchUnderShell({});
  p.shell.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 2500));
  const stillAlive = alive(p.pid);
  if (stillAlive) process.kill(p.pid, 'SIGTERM');
  assert.equal(stillAlive, true, 'a service not started by npm must not stop with its parent');
});
