import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startRelay } from './fixtures.js';

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test('an open connection keeps nothing of its upgrade request (headers, head buffer)', async () => {
  const requests: WeakRef<IncomingMessage>[] = [];
  const relay = await startRelay(
    {},
    {
      hooks: {
        rejectConnection: [
          (req) => {
            requests.push(new WeakRef(req));
            return undefined;
          },
        ],
      },
    },
  );
  relay.query.autoEnd = true;
  try {
    const client = await relay.connect();
    client.sendJson(['REQ', 's', { kinds: [1] }]);
    await client.next((m) => m[0] === 'EOSE');
    // A WeakRef holds its target until the end of the job that created it: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.deref(), undefined, 'the IncomingMessage of the upgrade is still reachable');
    assert.equal(relay.gateway.stats().connections, 1, 'the connection itself is open');
  } finally {
    await relay.close();
  }
});
