import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { assertPortFree } from './ports.js';
import { StartupError } from './service.js';

test('a taken port is one StartupError line naming the port and what to do', async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  try {
    await assert.rejects(assertPortFree('127.0.0.1', port), (err: unknown) => {
      assert.ok(err instanceof StartupError);
      assert.match(err.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(err.message, /set PORT to a free port/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  } finally {
    server.close();
  }
});

test('a free port passes and is left free; port 0 always passes', async () => {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  await assertPortFree('127.0.0.1', port);
  // Still free: the check closed its listener.
  const again = createServer().listen(port, '127.0.0.1');
  await once(again, 'listening');
  again.close();
  await assertPortFree('127.0.0.1', 0);
});
