import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { closeServer, startHealthServer } from './health.js';

test('extra routes of the health server answer first; /healthz and /readyz stay', async () => {
  const server = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    isReady: () => false,
    routes: [
      (req, res) => {
        if (req.url !== '/metrics') return false;
        res.end('nrelay_up 1\n');
        return true;
      },
    ],
  });
  const { port } = server.address() as AddressInfo;
  try {
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'nrelay_up 1\n');
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503);
  } finally {
    await closeServer(server);
  }
});
