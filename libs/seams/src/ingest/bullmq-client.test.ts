import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connectTestRedis,
  deleteKeys,
  eventually,
  recordingLogger,
  TEST_REDIS_TARGET,
  TEST_REDIS_URL,
  uniquePrefix,
} from '@nrelay/redis/testing';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBullmqIngestClient } from './bullmq-client.js';
import { REPLY_TIMEOUT } from './bullmq-client-api.js';
import { decodeJobData, type IngestJobData, type IngestReply } from './codec.js';
import { createIngestReplyPublisher, replyChannel } from './reply-publisher.js';
import type { IngestRequest } from './seam.js';

/** Submits here wait for their answer: nothing aborts them. */
const live = new AbortController().signal;

// The worker here is a stand-in with pure verdict logic (sig "bad" → refused); the real
// pipeline behind the real worker is tested in services/ingest (worker.test.ts).
const prefix = uniquePrefix();
const queueName = 'ingest';
const logger = recordingLogger();
let admin: Redis;
let queue: Queue;

before(async () => {
  admin = await connectTestRedis();
  queue = new Queue(queueName, { connection: { url: TEST_REDIS_URL }, prefix });
});
after(async () => {
  await queue.close();
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

let serial = 0;
function request(
  gatewayId: string,
  id = (++serial).toString(16).padStart(64, '0'),
  sig = 'good',
): IngestRequest {
  const event = { id, pubkey: 'p'.repeat(64), created_at: 1, kind: 1, tags: [], content: '', sig };
  return {
    v: 1,
    event: { event, raw: JSON.stringify(event) },
    receivedAt: Date.now(),
    gatewayId,
    connectionId: 'c',
    authedPubkeys: [],
  };
}

function client(gatewayId: string, replyTimeoutMs = 5_000, jobBatch?: number, jobLingerMs = 0) {
  return createBullmqIngestClient({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    gatewayId,
    logger,
    replyTimeoutMs,
    jobLingerMs,
    ...(jobBatch === undefined ? {} : { jobBatch }),
  });
}

/** A worker whose jobs wait for `release()` when `gated`, and record what they carried. */
function standInWorker(gated = false) {
  const replies = createIngestReplyPublisher({ target: TEST_REDIS_TARGET, prefix, logger });
  const jobs: Array<{ gatewayId: string; refs: string[] }> = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  if (!gated) open();
  const worker = new Worker<IngestJobData>(
    queueName,
    async (job: Job<IngestJobData>) => {
      const data = decodeJobData(job.data);
      await gate;
      jobs.push({ gatewayId: data.gatewayId, refs: data.entries.map((e) => e.ref) });
      const answers: IngestReply[] = data.entries.map(({ ref, raw }) =>
        (JSON.parse(raw) as { sig: string }).sig === 'bad'
          ? { ref, ok: false, reason: 'invalid: bad signature' }
          : { ref, ok: true, reason: '' },
      );
      await replies.answer(data.gatewayId, answers);
    },
    { connection: { url: TEST_REDIS_URL }, prefix, concurrency: 4 },
  );
  return {
    jobs,
    release: open,
    async close() {
      await worker.close();
      await replies.close();
    },
  };
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

test('submit → OK from the worker; the finished job is removed from Redis', async () => {
  const worker = standInWorker();
  const gw = client('gw-a');
  try {
    await gw.ready();
    assert.ok(gw.isReady());
    assert.deepEqual(await gw.submit(request('gw-a'), live), { ok: true, reason: '' });
    assert.deepEqual(await gw.submit(request('gw-a', undefined, 'bad'), live), {
      ok: false,
      reason: 'invalid: bad signature',
    });
    await eventually(async () => (await jobCount()) === 0, 2_000, 'jobs removed');
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('no worker: the submit answers the timeout reason; an aborted submit rejects', async () => {
  const gw = client('gw-t', 300);
  try {
    const started = Date.now();
    assert.deepEqual(await gw.submit(request('gw-t'), live), REPLY_TIMEOUT);
    assert.ok(Date.now() - started >= 290);
    const controller = new AbortController();
    const pending = gw.submit(request('gw-t'), controller.signal);
    setTimeout(() => controller.abort(new Error('connection closed')), 50);
    await assert.rejects(pending, /connection closed/);
    await assert.rejects(gw.submit(request('gw-t'), AbortSignal.abort(new Error('already'))), /already/);
  } finally {
    await gw.close();
    await queue.drain(true);
  }
});

test('submits of one event-loop turn travel in one job and are answered each on its own', async () => {
  const worker = standInWorker();
  const gw = client('gw-b');
  try {
    await gw.ready();
    const sigs = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? 'bad' : 'good'));
    const results = await Promise.all(sigs.map((sig) => gw.submit(request('gw-b', undefined, sig), live)));
    assert.deepEqual(
      results,
      sigs.map((sig) =>
        sig === 'bad' ? { ok: false, reason: 'invalid: bad signature' } : { ok: true, reason: '' },
      ),
    );
    assert.equal(worker.jobs.length, 1, 'one job for the whole turn');
    assert.equal(worker.jobs[0]?.refs.length, 50);
    assert.equal(new Set(worker.jobs[0]?.refs).size, 50, 'refs are unique');
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('a turn with more submits than jobBatch is split into jobs of at most jobBatch', async () => {
  const worker = standInWorker();
  const gw = client('gw-s', 5_000, 8);
  try {
    await gw.ready();
    const results = await Promise.all(Array.from({ length: 30 }, () => gw.submit(request('gw-s'), live)));
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(
      worker.jobs.map((j) => j.refs.length).sort((a, b) => a - b),
      [6, 8, 8, 8],
    );
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('a busy gateway lingers: submits made while others await their OK leave together; an idle one at once', async () => {
  const worker = standInWorker(true);
  const gw = client('gw-l', 5_000, undefined, 150);
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  try {
    await gw.ready();
    // Idle gateway: the first submit leaves at once (its job waits at the gated worker).
    const first = gw.submit(request('gw-l'), live);
    await eventually(async () => (await jobCount()) === 1, 1_000, 'first job');
    // Busy (the first awaits its OK): three submits in three turns wait and leave together.
    const rest: Array<Promise<unknown>> = [];
    for (let i = 0; i < 3; i++) {
      rest.push(gw.submit(request('gw-l'), live));
      await nextTurn();
    }
    assert.equal(await jobCount(), 1, 'held back while busy');
    await eventually(async () => (await jobCount()) === 2, 1_000, 'the held submits left');
    worker.release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(worker.jobs.map((j) => j.refs.length).sort(), [1, 3]);
    // Idle again: the next submit is answered without waiting for a window.
    const started = performance.now();
    await gw.submit(request('gw-l'), live);
    assert.ok(performance.now() - started < 140, 'no linger when nothing is outstanding');
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('two gateways submitting one event id: each submit gets its own answer; a bad copy blocks no good one', async () => {
  const worker = standInWorker(true);
  const g1 = client('gw-bad');
  const g2 = client('gw-good');
  try {
    await Promise.all([g1.ready(), g2.ready()]);
    const id = 'cd'.repeat(32);
    const bad = g1.submit(request('gw-bad', id, 'bad'), live);
    const good = g2.submit(request('gw-good', id, 'good'), live);
    await eventually(async () => (await jobCount()) === 2, 2_000, 'two jobs');
    worker.release();
    assert.deepEqual(await bad, { ok: false, reason: 'invalid: bad signature' });
    assert.deepEqual(await good, { ok: true, reason: '' });
    assert.deepEqual(worker.jobs.map((j) => j.gatewayId).sort(), ['gw-bad', 'gw-good']);
    await eventually(async () => (await jobCount()) === 0, 2_000, 'jobs removed');
  } finally {
    await Promise.all([g1.close(), g2.close()]);
    await worker.close();
  }
});

test('undecodable messages and answers for unknown refs on the reply channel are ignored', async () => {
  const worker = standInWorker(true);
  const gw = client('gw-x');
  try {
    await gw.ready();
    const submitted = gw.submit(request('gw-x'), live);
    await admin.publish(replyChannel(prefix, 'gw-x'), 'not json');
    await admin.publish(
      replyChannel(prefix, 'gw-x'),
      JSON.stringify({ v: 1, replies: [{ ref: 'someone-else', ok: false, reason: 'error: x' }] }),
    );
    await new Promise((r) => setTimeout(r, 50));
    worker.release();
    assert.deepEqual(await submitted, { ok: true, reason: '' });
    assert.ok(logger.entries.some((r) => r.msg === 'dropped an undecodable ingest reply'));
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('close() answers submits still waiting and stops accepting', async () => {
  const gw = client('gw-c');
  await gw.ready();
  const waiting = gw.submit(request('gw-c'), live);
  await new Promise((r) => setTimeout(r, 50));
  await gw.close();
  assert.match((await waiting).reason, /^error: relay is shutting down/);
  assert.match((await gw.submit(request('gw-c'), live)).reason, /^error: relay is shutting down/);
  assert.equal(gw.isReady(), false);
  await queue.drain(true);
});
