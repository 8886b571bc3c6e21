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
