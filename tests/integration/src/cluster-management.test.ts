import { startClusterRelay } from './harness/cluster.js';
import type { RelayUnderTest } from './harness/types.js';
import { managementTests } from './suite/management.js';

// NIP-86 on a two-gateway cluster: the admin talks to the load balancer, and every check of
// the effect runs on each gateway directly, within the one-second propagation promise
// (Redis announcements to every gateway and the ingest worker).
managementTests((opts) => startClusterRelay({ env: opts?.env, gateways: 2 }), {
  readUrls: (relay: RelayUnderTest) => [
    ...(relay as Awaited<ReturnType<typeof startClusterRelay>>).gatewayUrls,
  ],
});
