import { after, before } from 'node:test';
import type { RawEvent } from '@nrelay/protocol';
import {
  connectTestRedis,
  deleteKeys,
  TEST_REDIS_TARGET,
  TEST_REDIS_URL,
  uniquePrefix,
} from '@nrelay/redis/testing';
import type { FanoutMessage } from '@nrelay/seams/fanout';
import { createRedisFanoutBus, type RedisFanoutBus } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import { createBullmqIngestClient, startIngestWorker } from '@nrelay/seams/ingest';
import {
  createDatabase,
  createEventStore,
  type EventStore,
  migrateToLatest,
  type SaveOutcome,
} from '@nrelay/store';
import { signedRaw } from '@nrelay/testkit';
import { Queue } from 'bullmq';
import { generateSecretKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { createIngestPipeline } from './pipeline.js';

// The rig of worker.test.ts, end to end over the real Redis and BullMQ: gateway-side ingest
// client → queue → the worker → the real pipeline over an in-memory PGlite store → reply, and
// fanout on a Redis bus. `startWorkerRig` registers its before/after hooks; the bindings
// below are set once `before` ran.

/** Submits here wait for their answer: nothing aborts them. */
export const live: AbortSignal = new AbortController().signal;

/** This run's Redis key prefix. */
export const prefix = uniquePrefix();
const queueName = 'ingest';
const logger = pino({ level: 'silent' });
const sk = generateSecretKey();
/** A plain Redis connection to the test Redis. */
export let admin: Awaited<ReturnType<typeof connectTestRedis>>;
/** The ingest queue, for adding jobs by hand and counting them. */
export let queue: Queue;
/** The store the pipeline writes to. */
export let store: EventStore;
let fanout: RedisFanoutBus;
let listener: RedisFanoutBus;
/** Every fanout message published on the bus, in order. */
export const published: FanoutMessage[] = [];

/** What the fake-able part of the store does on the next save: pass through, wait, or fail. */
let saveHook: (() => Promise<void>) | undefined;

/** Sets what the store does on the next saves (`undefined`: pass through). */
export function setSaveHook(hook: (() => Promise<void>) | undefined): void {
  saveHook = hook;
}

const writer = {
  async save(events: RawEvent[]): Promise<SaveOutcome[]> {
    await saveHook?.();
    return store.save(events);
  },
};

/** Registers the rig's `before` (Redis, queue, store, fanout buses) and `after` (all closed). */
export function startWorkerRig(): void {
  before(async () => {
    admin = await connectTestRedis();
    queue = new Queue(queueName, { connection: { url: TEST_REDIS_URL }, prefix });
    const database = await createDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    store = createEventStore(database.db);
    fanout = createRedisFanoutBus({ target: TEST_REDIS_TARGET, channel: `${prefix}:fanout`, logger });
    listener = createRedisFanoutBus({ target: TEST_REDIS_TARGET, channel: `${prefix}:fanout`, logger });
    listener.subscribe((m) => published.push(m));
    await Promise.all([fanout.ready(), listener.ready()]);
  });
  after(async () => {
    await Promise.all([fanout.close(), listener.close(), queue.close(), store.close()]);
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });
}

/** A signed kind-1 event with `content`. */
export function signed(content: string): RawEvent {
  return signedRaw({ content }, sk);
}

/** `e` with one character of its signature changed. */
export function badSig(e: RawEvent): RawEvent {
  const sig = (e.event.sig[0] === 'a' ? 'b' : 'a') + e.event.sig.slice(1);
  const event = { ...e.event, sig };
  return { event, raw: JSON.stringify(event) };
}

/** A submit of `event` from gateway `gatewayId`. */
export function request(event: RawEvent, gatewayId: string): IngestRequest {
  return { v: 1, event, receivedAt: Date.now(), gatewayId, connectionId: 'c1', authedPubkeys: [] };
}

/** A pipeline over the rig's store, a worker running it and a factory of gateway clients. */
export function setup() {
  const pipeline = createIngestPipeline({
    store: writer,
    fanout,
    logger,
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
  });
  const worker = startIngestWorker({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    concurrency: 8,
    pipeline,
    logger,
  });
  const client = (gatewayId: string, replyTimeoutMs = 10_000) =>
    createBullmqIngestClient({
      target: TEST_REDIS_TARGET,
      queueName,
      prefix,
      gatewayId,
      logger,
      replyTimeoutMs,
      jobAttempts: 3,
      jobBackoffMs: 20,
    });
  return { pipeline, worker, client };
}

/** Jobs in the queue in any state. */
export async function jobCount(): Promise<number> {
  const counts = await queue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'completed',
    'failed',
    'prioritized',
  );
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** How many times event `id` was published. */
export const publishedIds = (id: string) => published.filter((m) => m.event.id === id).length;

/** A save that waits: `reached` once a save entered the hook, which holds until `release()`. */
export function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => {
    release = r;
  });
  let entered!: () => void;
  const reached = new Promise<void>((r) => {
    entered = r;
  });
  return {
    hook: async () => {
      entered();
      await opened;
    },
    reached,
    release,
  };
}
