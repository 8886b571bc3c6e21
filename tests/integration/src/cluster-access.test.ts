import { after, before, describe } from 'node:test';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';
import { protectedEventTests } from './suite/access-modes.js';
import { privacyTests } from './suite/privacy.js';

// The privileged-event leak test across a two-gateway cluster: every viewer has a connection
// on each gateway, the events are published through gateway 1, so live delivery crosses Redis
// and stored reads go through the query service on both gateways. Plus NIP-70 through HAProxy.

let cluster: ClusterRelay | undefined;
before(
  async () => {
    // Every kind searchable, so the leak test's search path reaches DMs and gift wraps.
    cluster = await startClusterRelay({ gateways: 2, env: { SEARCH_KINDS: '*' } });
  },
  { timeout: 90_000 },
);
after(async () => cluster?.stop(), { timeout: 60_000 });

const running = (): ClusterRelay => {
  if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
  return cluster;
};

describe('cluster: access control across gateways', () => {
  privacyTests(() => running().gatewayUrls);
  protectedEventTests({
    get relay() {
      return running();
    },
    start: () => {
      throw new Error('not used');
    },
  });
});
