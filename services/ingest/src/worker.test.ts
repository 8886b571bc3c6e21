import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RawEvent } from '@nrelay/protocol';
import { signedRaw } from '@nrelay/protocol/testing';
import {
  connectTestRedis,
  deleteKeys,
  eventually,
  TEST_REDIS_URL,
  uniquePrefix,
} from '@nrelay/redis/testing';
import type { FanoutMessage } from '@nrelay/seams/fanout';
import { createRedisFanoutBus, type RedisFanoutBus } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import {
  cancelJob,
  createBullmqIngestClient,
  type IngestJobData,
  startIngestWorker,
  toJobEntry,
} from '@nrelay/seams/ingest';
import {
  createDatabase,
  createEventStore,
  type EventStore,
  migrateToLatest,
  type SaveOutcome,
} from '@nrelay/store';
import { Queue } from 'bullmq';
import { generateSecretKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { createIngestPipeline } from './pipeline.js';

/** Submits here wait for their answer: nothing aborts them. */
const live = new AbortController().signal;

// End to end over the real Redis and BullMQ: gateway-side ingest client → queue → this worker
// → the real pipeline over an in-memory PGlite store → reply, and fanout on a Redis bus.
const prefix = uniquePrefix();
const queueName = 'ingest';
const logger = pino({ level: 'silent' });
const sk = generateSecretKey();
let admin: Awaited<ReturnType<typeof connectTestRedis>>;
let queue: Queue;
let store: EventStore;
let fanout: RedisFanoutBus;
let listener: RedisFanoutBus;
const published: FanoutMessage[] = [];

/** What the fake-able part of the store does on the next save: pass through, wait, or fail. */
let saveHook: (() => Promise<void>) | undefined;
const writer = {
  async save(events: RawEvent[]): Promise<SaveOutcome[]> {
    await saveHook?.();
    return store.save(events);
  },
};

before(async () => {
  admin = await connectTestRedis();
  queue = new Queue(queueName, { connection: { url: TEST_REDIS_URL }, prefix });
  const database = await createDatabase({ dataDir: 'memory://' });
  await migrateToLatest(database.db);
  store = createEventStore(database.db);
  fanout = createRedisFanoutBus({ redisUrl: TEST_REDIS_URL, channel: `${prefix}:fanout`, logger });
  listener = createRedisFanoutBus({ redisUrl: TEST_REDIS_URL, channel: `${prefix}:fanout`, logger });
  listener.subscribe((m) => published.push(m));
  await Promise.all([fanout.ready(), listener.ready()]);
});
after(async () => {
  await Promise.all([fanout.close(), listener.close(), queue.close(), store.close()]);
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

function signed(content: string): RawEvent {
  return signedRaw({ content }, sk);
}

function badSig(e: RawEvent): RawEvent {
  const sig = (e.event.sig[0] === 'a' ? 'b' : 'a') + e.event.sig.slice(1);
  const event = { ...e.event, sig };
  return { event, raw: JSON.stringify(event) };
}

function request(event: RawEvent, gatewayId: string): IngestRequest {
  return { v: 1, event, receivedAt: Date.now(), gatewayId, connectionId: 'c1', authedPubkeys: [] };
}

function setup() {
  const pipeline = createIngestPipeline({
    store: writer,
    fanout,
    logger,
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
  });
  const worker = startIngestWorker({
    redisUrl: TEST_REDIS_URL,
    queueName,
    prefix,
    concurrency: 8,
    pipeline,
    logger,
  });
  const client = (gatewayId: string, replyTimeoutMs = 10_000) =>
    createBullmqIngestClient({
      redisUrl: TEST_REDIS_URL,
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

async function jobCount(): Promise<number> {
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

const publishedIds = (id: string) => published.filter((m) => m.event.id === id).length;

function gate() {
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

test('a valid event is stored, answered OK true, published once; a bad signature is refused', async () => {
  const { worker, client } = setup();
  const gw = client('gw-a');
  try {
    await gw.ready();
    const e = signed('hello');
    assert.deepEqual(await gw.submit(request(e, 'gw-a'), live), { ok: true, reason: '' });
    assert.equal(await store.count([{ ids: [e.event.id] }]), 1);
    await eventually(() => publishedIds(e.event.id) === 1, 2_000, 'fanout');
    assert.equal(published.find((m) => m.event.id === e.event.id)?.raw, e.raw);

    const bad = badSig(signed('forged'));
    assert.deepEqual(await gw.submit(request(bad, 'gw-a'), live), {
      ok: false,
      reason: 'invalid: bad signature',
    });
    assert.equal(await store.count([{ ids: [bad.event.id] }]), 0);
    await eventually(async () => (await jobCount()) === 0, 2_000, 'jobs removed');
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('concurrent submits of one event from two gateways: one OK each, stored and published once', async () => {
  const { worker, client } = setup();
  const g1 = client('gw-1');
  const g2 = client('gw-2');
  const g = gate();
  saveHook = g.hook;
  try {
    await Promise.all([g1.ready(), g2.ready()]);
    const e = signed('twice');
    const first = g1.submit(request(e, 'gw-1'), live);
    await g.reached;
    const second = g2.submit(request(e, 'gw-2'), live);
    await new Promise((r) => setTimeout(r, 100));
    g.release();
    // The second submitter is answered as a standalone relay would: the event is a duplicate.
    assert.deepEqual(await Promise.all([first, second]), [
      { ok: true, reason: '' },
      { ok: true, reason: 'duplicate: already have this event' },
    ]);
    assert.equal(await store.count([{ ids: [e.event.id] }]), 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(publishedIds(e.event.id), 1);
  } finally {
    saveHook = undefined;
    await Promise.all([g1.close(), g2.close()]);
    await worker.close();
  }
});

test('a batch of submits from one turn: each stored, answered and published once; duplicates inside it answered duplicate', async () => {
  const { worker, client } = setup();
  const gw = client('gw-m');
  try {
    await gw.ready();
    const events = Array.from({ length: 120 }, (_, i) => signed(`batch ${i}`));
    const copy = events[5] as RawEvent;
    const forged = badSig(signed('forged in a batch'));
    const results = await Promise.all([
      ...events.map((e) => gw.submit(request(e, 'gw-m'), live)),
      gw.submit(request(copy, 'gw-m'), live),
      gw.submit(request(forged, 'gw-m'), live),
    ]);
    assert.deepEqual(
      results.slice(0, 120),
      events.map(() => ({ ok: true, reason: '' })),
    );
    assert.deepEqual(results[120], { ok: true, reason: 'duplicate: already have this event' });
    assert.deepEqual(results[121], { ok: false, reason: 'invalid: bad signature' });
    assert.equal(await store.count([{ ids: events.map((e) => e.event.id) }]), 120);
    await eventually(() => events.every((e) => publishedIds(e.event.id) === 1), 2_000, 'fanout');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(publishedIds(copy.event.id), 1);
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('transient store errors are retried; after the last attempt the error is the answer', async () => {
  const { worker, client } = setup();
  const gw = client('gw-r');
  let failures = 2;
  saveHook = async () => {
    if (failures-- > 0) throw Object.assign(new Error('connection terminated'), { code: '08006' });
  };
  try {
    await gw.ready();
    const e = signed('retried');
    assert.deepEqual(await gw.submit(request(e, 'gw-r'), live), { ok: true, reason: '' });
    assert.equal(await store.count([{ ids: [e.event.id] }]), 1);

    // In one job, a refusal is answered at once; only the entry that hit the store error waits
    // for the retry.
    failures = 2;
    const order: string[] = [];
    const retried = signed('retried in a batch');
    const refused = badSig(signed('refused in a batch'));
    await Promise.all([
      gw.submit(request(retried, 'gw-r'), live).then((r) => order.push(`retried ${r.ok}`)),
      gw.submit(request(refused, 'gw-r'), live).then((r) => order.push(`refused ${r.ok}`)),
    ]);
    assert.deepEqual(order, ['refused false', 'retried true']);
    assert.equal(await store.count([{ ids: [retried.event.id] }]), 1);

    failures = 3;
    const lost = signed('lost');
    const result = await gw.submit(request(lost, 'gw-r'), live);
    assert.equal(result.ok, false);
    assert.match(result.reason, /^error: /);
    assert.equal(await store.count([{ ids: [lost.event.id] }]), 0);
    await eventually(async () => (await jobCount()) === 0, 2_000, 'jobs removed');
  } finally {
    saveHook = undefined;
    await gw.close();
    await worker.close();
  }
});

test('a job that runs again stores its event once and does not publish it again', async () => {
  const { worker, client } = setup();
  const gw = client('gw-d');
  try {
    await gw.ready();
    const e = signed('rerun');
    assert.deepEqual(await gw.submit(request(e, 'gw-d'), live), { ok: true, reason: '' });
    await eventually(() => publishedIds(e.event.id) === 1, 2_000, 'first publish');
    // The same job data again, as after a stalled job is picked up a second time.
    const data: IngestJobData = {
      v: 1,
      gatewayId: 'gw-d',
      entries: [toJobEntry(request(e, 'gw-d'), 'rerun-ref')],
    };
    await queue.add('events', data, { removeOnComplete: true });
    await eventually(async () => (await jobCount()) === 0, 2_000, 'rerun done');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await store.count([{ ids: [e.event.id] }]), 1);
    assert.equal(publishedIds(e.event.id), 1);
  } finally {
    await gw.close();
    await worker.close();
  }
});

// Issue 10, defect 9: a gateway that gave up on a job (and answered "not stored") cancels it;
// the worker must then never store its events.
test('a job its gateway cancelled is skipped: nothing stored, nothing published', async () => {
  const e = signed('cancelled');
  await cancelJob(admin, prefix, 'cancelled-job');
  const data: IngestJobData = { v: 1, gatewayId: 'gw-x', entries: [toJobEntry(request(e, 'gw-x'), 'ref-x')] };
  await queue.add('events', data, { jobId: 'cancelled-job', removeOnComplete: true });
  const { worker } = setup();
  try {
    await eventually(async () => (await jobCount()) === 0, 5_000, 'the cancelled job taken off the queue');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await store.count([{ ids: [e.event.id] }]), 0, 'a cancelled job was stored');
    assert.equal(publishedIds(e.event.id), 0);
  } finally {
    await worker.close();
  }
});

test('close() lets the job in flight finish and answer before disconnecting', async () => {
  const { worker, client } = setup();
  const gw = client('gw-c');
  const g = gate();
  saveHook = g.hook;
  try {
    await gw.ready();
    const e = signed('draining');
    const submitted = gw.submit(request(e, 'gw-c'), live);
    await g.reached;
    let closed = false;
    const closing = worker.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, false, 'close waits for the job in flight');
    g.release();
    assert.deepEqual(await submitted, { ok: true, reason: '' });
    await closing;
    assert.equal(worker.isReady(), false);
  } finally {
    saveHook = undefined;
    await gw.close();
  }
});
