import { describe } from 'node:test';
import { faultCluster } from './faults/cluster.js';
import { fanoutLossTests } from './faults/fanout-loss.js';
import { hotWindowGapTests } from './faults/hot-window-gap.js';
import { redisAndGatewayFaultTests } from './faults/redis-and-gateway.js';
import { serviceFaultTests } from './faults/services.js';

// Faults of one process at a time in a running two-gateway cluster: the ingest worker killed,
// the query service stopped, Redis restarted, a gateway stopped, a fanout gap, Redis frozen (a
// silently lost link). One cluster serves them all,
// in this order, each test restoring what it broke; it runs on a private redis-server (never
// the machine's shared one) so the Redis test may kill it. The tests are in faults/.

const cluster = faultCluster();

describe('cluster faults', () => {
  serviceFaultTests(cluster);
  redisAndGatewayFaultTests(cluster);
  hotWindowGapTests(cluster);
  fanoutLossTests(cluster);
});
