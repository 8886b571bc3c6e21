import { abuseSuite } from './abuse/index.js';
import { startClusterRelay } from './harness/cluster.js';

// Through HAProxy, as a public client reaches the cluster.
abuseSuite('cluster behind HAProxy', (opts) => startClusterRelay({ env: opts?.env }));
