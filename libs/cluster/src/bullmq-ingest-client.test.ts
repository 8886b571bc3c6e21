import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IngestRequest, IngestResult } from '@nrelay/contracts';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBullmqIngestClient, REPLY_TIMEOUT } from './bullmq-ingest-client.js';
import { decodeJobData, type IngestJobData } from './codec.js';
import { createIngestReplyPublisher } from './ingest-reply-publisher.js';
import { replyChannel } from './redis.js';
import {
  connectTestRedis,
  deleteKeys,
  eventually,
  recordingLogger,
  TEST_REDIS_URL,
  uniquePrefix,
} from './testing.js';

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

function client(gatewayId: string, replyTimeoutMs = 5_000) {
  return createBullmqIngestClient({
    redisUrl: TEST_REDIS_URL,
    queueName,
    prefix,
    gatewayId,
    logger,
    replyTimeoutMs,
  });
}

/** A worker whose jobs wait for `release()` when `gated`, and record what they processed. */
function standInWorker(gated = false) {
  const replies = createIngestReplyPublisher({ redisUrl: TEST_REDIS_URL, prefix, logger });
  const processed: Array<{ jobId: string | undefined; ref: string }> = [];
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
      processed.push({ jobId: job.id, ref: data.ref });
      const sig = (JSON.parse(data.raw) as { sig: string }).sig;
      const result: IngestResult =
        sig === 'bad' ? { ok: false, reason: 'invalid: bad signature' } : { ok: true, reason: '' };
      await replies.answer(data, result);
    },
    { connection: { url: TEST_REDIS_URL }, prefix, concurrency: 4 },
  );
  return {
    processed,
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
    assert.deepEqual(await gw.submit(request('gw-a')), { ok: true, reason: '' });
    assert.deepEqual(await gw.submit(request('gw-a', undefined, 'bad')), {
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
    assert.deepEqual(await gw.submit(request('gw-t')), REPLY_TIMEOUT);
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

test('concurrent submits of one event from two gateways: one job, exactly one OK each', async () => {
  const worker = standInWorker(true);
  const g1 = client('gw-1');
  const g2 = client('gw-2');
  const seen: string[] = [];
  const listener = (await connectTestRedis()).on('message', (ch: string) => seen.push(ch));
  await listener.subscribe(replyChannel(prefix, 'gw-1'), replyChannel(prefix, 'gw-2'));
  try {
    await Promise.all([g1.ready(), g2.ready()]);
    const id = 'ab'.repeat(32);
    const first = g1.submit(request('gw-1', id));
    await eventually(async () => (await jobCount()) === 1, 2_000, 'first job');
    const second = g2.submit(request('gw-2', id));
    const third = g2.submit(request('gw-2', id));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await jobCount(), 1, 'the later submits did not add jobs');
    worker.release();
    // The submitter whose job ran gets the pipeline's answer; the others, like a standalone
    // relay would answer them, a duplicate.
    assert.deepEqual(await Promise.all([first, second, third]), [
      { ok: true, reason: '' },
      { ok: true, reason: 'duplicate: already have this event' },
      { ok: true, reason: 'duplicate: already have this event' },
    ]);
    assert.equal(worker.processed.length, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(seen.sort(), [
      replyChannel(prefix, 'gw-1'),
      replyChannel(prefix, 'gw-2'),
      replyChannel(prefix, 'gw-2'),
    ]);
    // A submit after the job finished runs a job of its own: the store may have changed since
    // (a deletion), so an old outcome is never replayed.
    assert.deepEqual(await g1.submit(request('gw-1', id)), { ok: true, reason: '' });
    assert.equal(worker.processed.length, 2);
    await eventually(async () => (await jobCount()) === 0, 2_000, 'jobs removed');
  } finally {
    listener.disconnect();
    await Promise.all([g1.close(), g2.close()]);
    await worker.close();
  }
});

test('a copy with a bad signature does not block a good copy of the same id', async () => {
  const worker = standInWorker(true);
  const g1 = client('gw-bad');
  const g2 = client('gw-good');
  try {
    await Promise.all([g1.ready(), g2.ready()]);
    const id = 'cd'.repeat(32);
    const bad = g1.submit(request('gw-bad', id, 'bad'));
    await eventually(async () => (await jobCount()) === 1, 2_000, 'bad job');
    const good = g2.submit(request('gw-good', id, 'good'));
    await new Promise((r) => setTimeout(r, 100));
    worker.release();
    assert.deepEqual(await bad, { ok: false, reason: 'invalid: bad signature' });
    assert.deepEqual(await good, { ok: true, reason: '' });
    assert.equal(worker.processed.length, 2, 'the good copy ran as its own job');
    assert.notEqual(worker.processed[1]?.jobId, id);
    await eventually(async () => (await jobCount()) === 0, 2_000, 'jobs removed');
  } finally {
    await Promise.all([g1.close(), g2.close()]);
    await worker.close();
  }
});

test('a good copy arriving just after a refusal of its id is submitted, not answered with the refusal', async () => {
  const worker = standInWorker();
  const gw = client('gw-r');
  try {
    await gw.ready();
    const id = 'ef'.repeat(32);
    assert.deepEqual(await gw.submit(request('gw-r', id, 'bad')), {
      ok: false,
      reason: 'invalid: bad signature',
    });
    // The refusal is now the recorded outcome of this id.
    assert.deepEqual(await gw.submit(request('gw-r', id, 'good')), { ok: true, reason: '' });
    assert.equal(worker.processed.length, 2);
  } finally {
    await gw.close();
    await worker.close();
  }
});

test('close() answers submits still waiting and stops accepting', async () => {
  const gw = client('gw-c');
  await gw.ready();
  const waiting = gw.submit(request('gw-c'));
  await new Promise((r) => setTimeout(r, 50));
  await gw.close();
  assert.match((await waiting).reason, /^error: relay is shutting down/);
  assert.match((await gw.submit(request('gw-c'))).reason, /^error: relay is shutting down/);
  assert.equal(gw.isReady(), false);
  await queue.drain(true);
});
