import { after, before } from 'node:test';
import {
  connectTestRedis,
  deleteKeys,
  recordingLogger,
  TEST_REDIS_TARGET,
  uniquePrefix,
} from '@nrelay/redis/testing';
import type { Redis } from 'ioredis';
import { fanoutConformance } from './conformance.js';
import { createMemoryFanoutBus } from './memory.js';
import { createRedisFanoutBus } from './redis.js';

// The FanoutBus contract, unchanged, on both implementations.

fanoutConformance('memory', async (count) => {
  // Standalone: one process, one bus for the ingest pipeline and the gateway alike.
  const bus = createMemoryFanoutBus();
  return { buses: Array.from({ length: count }, () => bus), close: () => bus.close() };
});

const prefix = uniquePrefix();
let admin: Redis;
let media = 0;
before(async () => {
  admin = await connectTestRedis();
});
after(async () => {
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

fanoutConformance('redis', async (count) => {
  // The cluster: separate buses (gateways, ingest workers) on one channel, a fresh one per test.
  const channel = `${prefix}:fanout:${media++}`;
  const buses = Array.from({ length: count }, () =>
    createRedisFanoutBus({ target: TEST_REDIS_TARGET, channel, logger: recordingLogger() }),
  );
  await Promise.all(buses.map((bus) => bus.ready()));
  return { buses, close: async () => void (await Promise.all(buses.map((bus) => bus.close()))) };
});
