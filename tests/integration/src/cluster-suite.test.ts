import { startClusterRelay } from './harness/cluster.js';
import { relaySuite } from './suite/index.js';

// The whole black-box suite against a cluster, through the load balancer: every client
// connection goes to HAProxy, which spreads them over two gateways, so a publisher and a
// subscriber of one test usually sit on different gateways.
relaySuite('cluster behind HAProxy', (opts) => startClusterRelay({ env: opts?.env }));
