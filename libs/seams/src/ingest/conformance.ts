/**
 * The ingest seam's conformance suite (`@nrelay/seams/ingest/conformance`): the IngestClient
 * contract (./seam.ts), declared as node:test tests and run unchanged against every client wired
 * to the real ingest pipeline on a real store (services/ingest/src/conformance.test.ts: the
 * in-process client, and the BullMQ client with its worker on a real Redis).
 */
import assert from 'node:assert/strict';
import { after, before, suite, test } from 'node:test';
import type { RawEvent } from '@nrelay/protocol';
import { signedRaw } from '@nrelay/testkit';
import { type IngestClient, type IngestRequest, type IngestResult, SHUTTING_DOWN } from './seam.js';

/** A client wired to the real pipeline on a fresh store, and a way to read that store. */
export interface IngestSubject {
  client: IngestClient;
  /** The raw JSON text the store holds for event `id`, or undefined when it holds none. */
  stored(id: string): Promise<string | undefined>;
  /** Closes everything behind the client (worker, pipeline, store); the suite closes the client first. */
  dispose(): Promise<void>;
}

/** Opens a fresh subject: a new, empty store (and queue) each call. */
export type IngestSubjectFactory = () => Promise<IngestSubject>;

/** A test that waits for an answer that never comes fails here instead of hanging the run. */
const TEST_TIMEOUT_MS = 30_000;

/** Submits of the suite that nothing abandons. */
const LIVE = new AbortController().signal;

const OK: IngestResult = { ok: true, reason: '' };

function request(event: RawEvent): IngestRequest {
  return {
    v: 1,
    event,
    receivedAt: Date.now(),
    gatewayId: 'conformance',
    connectionId: 'c1',
    authedPubkeys: [],
  };
}

/** A copy of `e` whose signature no longer matches (same id, same text otherwise). */
function withBadSignature(e: RawEvent): RawEvent {
  const sig = (e.event.sig[0] === 'a' ? 'b' : 'a') + e.event.sig.slice(1);
  const event = { ...e.event, sig };
  return { event, raw: JSON.stringify(event) };
}

/** Declares the IngestClient conformance tests for one client. */
export function ingestConformance(name: string, open: IngestSubjectFactory): void {
  const options = { timeout: TEST_TIMEOUT_MS };

  suite(`${name}: ingest conformance`, () => {
    let subject: IngestSubject;
    before(async () => {
      subject = await open();
    });
    after(async () => {
      await subject.client.close();
      await subject.dispose();
    });

    test(
      'a valid signed event is answered OK true and is then readable, byte-identical',
      options,
      async () => {
        const e = signedRaw({ content: 'conformance: stored as sent' });
        assert.deepEqual(await subject.client.submit(request(e), LIVE), OK);
        assert.equal(await subject.stored(e.event.id), e.raw);
      },
    );

    test('the same event again is answered OK true, duplicate:', options, async () => {
      const e = signedRaw({ content: 'conformance: twice' });
      assert.deepEqual(await subject.client.submit(request(e), LIVE), OK);
      // NIP-01: a duplicate is acknowledged (OK true), with the reason saying so.
      const again = await subject.client.submit(request(e), LIVE);
      assert.equal(again.ok, true);
      assert.match(again.reason, /^duplicate: /);
    });

    test('a bad signature is answered invalid: and not stored', options, async () => {
      const e = signedRaw({ content: 'conformance: forged' });
      const result = await subject.client.submit(request(withBadSignature(e)), LIVE);
      assert.equal(result.ok, false);
      assert.match(result.reason, /^invalid: /);
      assert.equal(await subject.stored(e.event.id), undefined);
    });

    test('200 concurrent submits are all answered, each by its own result', options, async () => {
      // Every third one forged: a mixed-up answer shows as a wrong verdict for its event.
      const events = Array.from({ length: 200 }, (_, i) => {
        const e = signedRaw({ content: `conformance: concurrent ${i}` });
        return i % 3 === 2 ? { e, valid: false, sent: withBadSignature(e) } : { e, valid: true, sent: e };
      });
      const results = await Promise.all(events.map(({ sent }) => subject.client.submit(request(sent), LIVE)));
      results.forEach((result, i) => {
        const { valid } = events[i]!;
        if (valid) assert.deepEqual(result, OK, `submit ${i}`);
        else assert.match(result.reason, /^invalid: /, `submit ${i}`);
      });
      for (const { e, valid } of events)
        assert.equal(await subject.stored(e.event.id), valid ? e.raw : undefined);
    });

    test('a submit with an already aborted signal rejects with its reason', options, async () => {
      const reason = new Error('the connection went away');
      const e = signedRaw({ content: 'conformance: never sent' });
      await assert.rejects(
        subject.client.submit(request(e), AbortSignal.abort(reason)),
        (err) => err === reason,
      );
    });

    test('an abort while waiting rejects with its reason', options, async () => {
      const reason = new Error('stopped waiting');
      const controller = new AbortController();
      const e = signedRaw({ content: 'conformance: abandoned' });
      const submitted = subject.client.submit(request(e), controller.signal);
      controller.abort(reason);
      await assert.rejects(submitted, (err) => err === reason);
      // The seam stays usable (the abandoned event may or may not have been stored).
      const next = signedRaw({ content: 'conformance: after an abort' });
      assert.deepEqual(await subject.client.submit(request(next), LIVE), OK);
    });
  });

  test(`${name}: after close() every submit is answered SHUTTING_DOWN`, options, async () => {
    const subject = await open();
    try {
      await subject.client.close();
      const e = signedRaw({ content: 'conformance: too late' });
      assert.deepEqual(await subject.client.submit(request(e), LIVE), SHUTTING_DOWN);
      assert.equal(await subject.stored(e.event.id), undefined);
    } finally {
      await subject.dispose();
    }
  });
}
