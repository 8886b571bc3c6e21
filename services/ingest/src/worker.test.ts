import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawEvent } from '@nrelay/protocol';
import { eventually } from '@nrelay/redis/testing';
import { cancelJob, type IngestJobData, toJobEntry } from '@nrelay/seams/ingest';
import {
  admin,
  badSig,
  gate,
  jobCount,
  live,
  prefix,
  published,
  publishedIds,
  queue,
  request,
  setSaveHook,
  setup,
  signed,
  startWorkerRig,
  store,
} from './worker-fixtures.js';

// End to end over the real Redis and BullMQ: gateway-side ingest client → queue → this worker
// → the real pipeline over an in-memory PGlite store → reply, and fanout on a Redis bus (the
// rig: worker-fixtures.ts).
startWorkerRig();

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
  setSaveHook(g.hook);
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
    setSaveHook(undefined);
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
  setSaveHook(async () => {
    if (failures-- > 0) throw Object.assign(new Error('connection terminated'), { code: '08006' });
  });
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
    setSaveHook(undefined);
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
  setSaveHook(g.hook);
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
    setSaveHook(undefined);
    await gw.close();
  }
});
