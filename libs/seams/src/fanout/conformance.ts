/**
 * The fanout seam's conformance suite: the FanoutBus contract (./seam.ts), declared as node:test
 * tests and run unchanged against every implementation (./conformance.test.ts: the memory bus
 * and the Redis bus on a real Redis).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FanoutBus, FanoutMessage } from './seam.js';

/**
 * Opens `count` connected buses on a fresh medium: what one publishes, every one delivers. The
 * buses are ready (subscribed: nothing published from then on is missed); `close` closes them
 * all. Standalone is one process with one bus, so its factory may hand the same bus out `count`
 * times; the cluster's are separate buses (two gateways and an ingest worker) on one channel.
 */
export type FanoutMediumFactory = (
  count: number,
) => Promise<{ buses: readonly FanoutBus[]; close(): Promise<void> }>;

/** A test that waits for a delivery that never comes fails here instead of hanging the run. */
const TEST_TIMEOUT_MS = 10_000;

/** Publishes of the suite that nothing abandons. */
const LIVE = new AbortController().signal;

/**
 * A message whose text the codec must not touch: pretty-printed, with newlines, quotes and
 * non-ASCII in the content, and key order unlike JSON.stringify's of the parsed event.
 */
function fanoutMessage(n: number, trace?: Record<string, string>): FanoutMessage {
  const event = {
    id: n.toString(16).padStart(64, '0'),
    pubkey: 'b'.repeat(64),
    created_at: 1_700_000_000 + n,
    kind: 1,
    tags: [['t', `n${n}`]],
    content: `line one\nline "two" \u00e9 #${n}`,
    sig: 'c'.repeat(128),
  };
  const { content, ...rest } = event;
  const raw = JSON.stringify({ content, ...rest }, null, 2);
  const message: FanoutMessage = { v: 1, event, raw, acceptedAt: 1_700_000_000_000 + n };
  if (trace) message.trace = trace;
  return message;
}

/** What one handler received, and a way to wait until it received `count`. */
function collector() {
  const messages: FanoutMessage[] = [];
  let waiter: { count: number; resolve(): void } | undefined;
  return {
    messages,
    handler(message: FanoutMessage) {
      messages.push(message);
      if (waiter && messages.length >= waiter.count) waiter.resolve();
    },
    until(count: number): Promise<void> {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve) => {
        waiter = { count, resolve };
      });
    },
  };
}

const idsOf = (messages: readonly FanoutMessage[]) => messages.map((m) => m.event.id);

/** Runs `body` on a fresh medium of `count` buses and closes it whatever happens. */
async function withMedium(
  open: FanoutMediumFactory,
  count: number,
  body: (buses: readonly FanoutBus[]) => Promise<void>,
): Promise<void> {
  const medium = await open(count);
  try {
    await body(medium.buses);
  } finally {
    await medium.close();
  }
}

/** Declares the FanoutBus conformance tests for one implementation. */
export function fanoutConformance(name: string, open: FanoutMediumFactory): void {
  const options = { timeout: TEST_TIMEOUT_MS };

  test(`${name}: a message reaches every subscriber of every bus, raw byte-identical`, options, () =>
    withMedium(open, 3, async (buses) => {
      const got = buses.map((bus) => {
        const c = collector();
        bus.subscribe(c.handler);
        return c;
      });
      const traced = fanoutMessage(1, {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      const plain = fanoutMessage(2);
      await buses[0]!.publish(traced, LIVE);
      await buses[0]!.publish(plain, LIVE);
      await Promise.all(got.map((c) => c.until(2)));
      for (const c of got) {
        assert.deepEqual(c.messages, [traced, plain]);
        assert.equal(c.messages[0]!.raw, traced.raw);
        assert.equal(c.messages[1]!.raw, plain.raw);
        assert.equal(c.messages[1]!.trace, undefined);
      }
    }),
  );

  test(`${name}: one publisher's messages arrive in the order it published them`, options, () =>
    withMedium(open, 2, async (buses) => {
      const got = collector();
      buses[1]!.subscribe(got.handler);
      const sent = Array.from({ length: 300 }, (_, i) => fanoutMessage(100 + i));
      // Half in one turn, half one after the other.
      await Promise.all(sent.slice(0, 150).map((m) => buses[0]!.publish(m, LIVE)));
      for (const m of sent.slice(150)) await buses[0]!.publish(m, LIVE);
      await got.until(sent.length);
      assert.deepEqual(idsOf(got.messages), idsOf(sent));
    }),
  );

  test(`${name}: fence() resolves after what was published before it has been delivered`, options, () =>
    withMedium(open, 2, async (buses) => {
      const got = collector();
      buses[1]!.subscribe(got.handler);
      for (let round = 0; round < 20; round++) {
        const sent = [fanoutMessage(1000 + 2 * round), fanoutMessage(1001 + 2 * round)];
        await Promise.all(sent.map((m) => buses[0]!.publish(m, LIVE)));
        // No wait for delivery: the fence alone must guarantee it.
        await buses[1]!.fence();
        assert.equal(got.messages.length, 2 * (round + 1), `round ${round}`);
      }
    }),
  );

  test(`${name}: an unsubscribed handler gets nothing more`, options, () =>
    withMedium(open, 2, async (buses) => {
      const gone = collector();
      const stays = collector();
      const unsubscribe = buses[1]!.subscribe(gone.handler);
      buses[1]!.subscribe(stays.handler);
      await buses[0]!.publish(fanoutMessage(1), LIVE);
      await Promise.all([gone.until(1), stays.until(1)]);
      unsubscribe();
      await buses[0]!.publish(fanoutMessage(2), LIVE);
      // Delivered to the bus of both handlers: the removed one would have had it by now.
      await stays.until(2);
      assert.deepEqual(idsOf(gone.messages), idsOf([fanoutMessage(1)]));
      assert.deepEqual(idsOf(stays.messages), idsOf([fanoutMessage(1), fanoutMessage(2)]));
    }),
  );

  test(`${name}: a handler that throws does not stop delivery to the others`, options, () =>
    withMedium(open, 2, async (buses) => {
      let thrown = 0;
      const before = collector();
      const after = collector();
      const elsewhere = collector();
      buses[1]!.subscribe(before.handler);
      buses[1]!.subscribe(() => {
        thrown++;
        throw new Error('a broken subscriber');
      });
      buses[1]!.subscribe(after.handler);
      buses[0]!.subscribe(elsewhere.handler);
      await buses[0]!.publish(fanoutMessage(1), LIVE);
      await buses[0]!.publish(fanoutMessage(2), LIVE);
      await Promise.all([before.until(2), after.until(2), elsewhere.until(2)]);
      assert.equal(thrown, 2);
      for (const c of [before, after, elsewhere])
        assert.deepEqual(idsOf(c.messages), idsOf([fanoutMessage(1), fanoutMessage(2)]));
    }),
  );

  test(`${name}: publish with an aborted signal rejects with its reason and delivers nothing`, options, () =>
    withMedium(open, 2, async (buses) => {
      const got = collector();
      buses[1]!.subscribe(got.handler);
      const reason = new Error('the publisher gave up');
      await assert.rejects(
        buses[0]!.publish(fanoutMessage(1), AbortSignal.abort(reason)),
        (err) => err === reason,
      );
      // Order is kept, so had the aborted message gone out it would arrive before this one.
      await buses[0]!.publish(fanoutMessage(2), LIVE);
      await got.until(1);
      assert.deepEqual(idsOf(got.messages), idsOf([fanoutMessage(2)]));
    }),
  );

  test(`${name}: after close() publish rejects and delivers nothing`, options, async () => {
    const medium = await open(2);
    const [publisher, subscriber] = medium.buses as [FanoutBus, FanoutBus];
    const got = collector();
    subscriber.subscribe(got.handler);
    await medium.close();
    await assert.rejects(publisher.publish(fanoutMessage(1), LIVE), /closed/);
    assert.deepEqual(got.messages, []);
  });
}
