import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connectTestRedis,
  deleteKeys,
  recordingLogger,
  TEST_REDIS_TARGET,
  TEST_REDIS_URL,
  uniquePrefix,
} from '@nrelay/redis/testing';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBullmqIngestClient } from './bullmq-client.js';
import {
  DEFAULT_JOB_ATTEMPTS,
  DEFAULT_JOB_BACKOFF_MS,
  INGEST_UNAVAILABLE,
  REPLY_TIMEOUT,
} from './bullmq-client-api.js';
import { decodeJobData, type IngestJobData } from './codec.js';
import { claimJob, ingestAliveKey, startIngestHeartbeat } from './coordination.js';
import { createIngestReplyPublisher } from './reply-publisher.js';
import type { IngestRequest } from './seam.js';

/** Submits here wait for their answer: nothing aborts them. */
const live = new AbortController().signal;

// Issue 10, defects 2 and 9: an `error:` answer must mean "not stored", and EVENTs are refused
// at once while no ingest worker is alive.
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
function request(gatewayId: string): IngestRequest {
  const id = (++serial).toString(16).padStart(64, '0');
  const event = { id, pubkey: 'p'.repeat(64), created_at: 1, kind: 1, tags: [], content: '', sig: 's' };
  return {
    v: 1,
    event: { event, raw: JSON.stringify(event) },
    receivedAt: Date.now(),
    gatewayId,
    connectionId: 'c',
    authedPubkeys: [],
  };
}

/** A worker that claims each job like the real one, records what it "stored", answers OK. */
function claimingWorker(opts: { delayMs?: number } = {}) {
  const replies = createIngestReplyPublisher({ target: TEST_REDIS_TARGET, prefix, logger });
  const stored: string[] = [];
  const worker = new Worker<IngestJobData>(
    queueName,
    async (job: Job<IngestJobData>) => {
      const data = decodeJobData(job.data);
      if (!(await claimJob(admin, prefix, job.id!))) return;
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 0));
      stored.push(...data.entries.map((e) => e.ref));
      await replies.answer(
        data.gatewayId,
        data.entries.map(({ ref }) => ({ ref, ok: true, reason: '' })),
      );
    },
    { connection: { url: TEST_REDIS_URL }, prefix, concurrency: 4 },
  );
  return {
    stored,
    async close() {
      await worker.close();
      await replies.close();
    },
  };
}

test('timed out while no worker took the job: answered "not stored", and a worker started later never runs it', async () => {
  const gw = createBullmqIngestClient({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    gatewayId: 'gw-cancel',
    logger,
    replyTimeoutMs: 300,
    jobLingerMs: 0,
  });
  await gw.ready();
  const result = await gw.submit(request('gw-cancel'), live);
  assert.deepEqual(result, REPLY_TIMEOUT);
  assert.match(result.reason, /^error: .*not stored/);
  const worker = claimingWorker();
  try {
    // Long enough for a worker to pick up anything left in the queue.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(worker.stored, [], 'a job answered "not stored" was run by a worker later');
  } finally {
    await worker.close();
    await gw.close();
  }
});

test('timed out while a worker runs the job: the real answer is awaited (no error: for what gets stored)', async () => {
  const worker = claimingWorker({ delayMs: 800 });
  const gw = createBullmqIngestClient({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    gatewayId: 'gw-slow',
    logger,
    replyTimeoutMs: 200,
    replyDeadlineMs: 10_000,
    jobLingerMs: 0,
  });
  try {
    await gw.ready();
    const started = Date.now();
    const results = await Promise.all([
      gw.submit(request('gw-slow'), live),
      gw.submit(request('gw-slow'), live),
    ]);
    const ms = Date.now() - started;
    assert.deepEqual(results, [
      { ok: true, reason: '' },
      { ok: true, reason: '' },
    ]);
    assert.ok(ms >= 700, `answered after ${ms} ms, before the worker finished`);
    assert.equal(worker.stored.length, 2);
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('no ingest worker alive: submits are refused at once and nothing is queued; a heartbeat brings them back', async () => {
  const gw = createBullmqIngestClient({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    gatewayId: 'gw-alive',
    logger,
    replyTimeoutMs: 5000,
    jobLingerMs: 0,
    workerHeartbeatMs: 100,
  });
  let heartbeat: { stop(): void } | undefined;
  const worker = claimingWorker();
  try {
    await admin.del(ingestAliveKey(prefix, queueName));
    await gw.ready();
    assert.equal(gw.isReady(), false, 'write-ready with no worker alive');
    const before = worker.stored.length;
    const started = Date.now();
    assert.deepEqual(await gw.submit(request('gw-alive'), live), INGEST_UNAVAILABLE);
    const ms = Date.now() - started;
    assert.ok(ms < 1000, `refusal took ${ms} ms`);
    heartbeat = startIngestHeartbeat({
      redis: admin,
      key: ingestAliveKey(prefix, queueName),
      intervalMs: 100,
      workerId: 'w1',
      isAlive: () => true,
      logger,
    });
    const deadline = Date.now() + 5000;
    while (!gw.isReady() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(gw.isReady(), 'not write-ready with a worker heartbeat');
    assert.deepEqual(await gw.submit(request('gw-alive'), live), { ok: true, reason: '' });
    assert.equal(worker.stored.length, before + 1, 'the refused submit was queued after all');
  } finally {
    heartbeat?.stop();
    await gw.close();
    await worker.close();
  }
});

// Issue 10, defect 2: with 3 attempts 250 ms apart a Postgres restart of 5–10 s exhausted the
// retries and answered `error:`; the default retries must span such a restart.
test('the default retries of a job span a 10 s outage', () => {
  let waited = 0;
  for (let attempt = 1; attempt < DEFAULT_JOB_ATTEMPTS; attempt++)
    waited += DEFAULT_JOB_BACKOFF_MS * 2 ** (attempt - 1);
  assert.ok(waited >= 10_000, `the retries of one job span ${waited} ms`);
});
