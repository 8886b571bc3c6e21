import { after, before } from 'node:test';
import { badInputComparisonTests } from './cross/bad-input.js';
import { crossGatewayTests } from './cross/gateways.js';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';

// Cross-gateway behaviour of a two-gateway cluster: what one gateway accepts, the other serves
// and delivers, at the seam between stored and live results too. Clients connect to a gateway
// directly (A = gateway 1, B = gateway 2) so publisher and subscriber are on different ones
// for sure; the bad-input comparison (cross/bad-input.ts) goes through HAProxy.

let cluster: ClusterRelay | undefined;
const relay = (): ClusterRelay => {
  if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
  return cluster;
};
const gwA = (): string => relay().gatewayUrls[0]!;
const gwB = (): string => relay().gatewayUrls[1]!;

before(
  async () => {
    cluster = await startClusterRelay({ gateways: 2 });
  },
  { timeout: 90_000 },
);
after(async () => cluster?.stop(), { timeout: 60_000 });

crossGatewayTests('cluster: across gateways', { gwA, gwB });

badInputComparisonTests(relay);
