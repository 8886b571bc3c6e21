/**
 * The fanout seam: every accepted event to every gateway. The interface (./seam.ts), the
 * in-memory bus (standalone), the Redis bus and its channel codec (cluster), and the
 * conformance suite both pass (./conformance.ts).
 */

export { WireFormatError } from '../wire.js';
export { decodeFanout, encodeFanout } from './codec.js';
export { createMemoryFanoutBus } from './memory.js';
export { createRedisFanoutBus, type RedisFanoutBus, type RedisFanoutBusOptions } from './redis.js';
export type { FanoutBus, FanoutMessage } from './seam.js';
