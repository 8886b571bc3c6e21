/**
 * The fanout seam: every accepted event to every gateway. The interface (./seam.ts), the
 * in-memory bus (standalone), the Redis bus and its channel codec (cluster).
 *
 * Conformance: `fanoutConformance` (./conformance.ts) checks the FanoutBus contract of ./seam.ts;
 * ./conformance.test.ts runs it, unchanged, on the memory bus and on separate Redis buses sharing
 * one channel of a real Redis.
 */

export { WireFormatError } from '../wire.js';
export { decodeFanout, encodeFanout } from './codec.js';
export { createMemoryFanoutBus } from './memory.js';
export { createRedisFanoutBus, type RedisFanoutBus, type RedisFanoutBusOptions } from './redis.js';
export type { FanoutBus, FanoutContinuity, FanoutMessage } from './seam.js';
