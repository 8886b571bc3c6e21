import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, RawClient, randomHex, signEvent } from '@nrelay/testkit';
import type { StartRelay } from '../harness/types.js';
import { relayForBlock } from '../suite/context.js';
import { mib, NonReader, publishAll, RssSampler, readPathPids, settled } from './load.js';

/** Stored events of ~30 KB tagged t=big (issue 10, defects 3 and 4). */
const EVENTS = 2000;
const EVENT_BYTES = 30_000;
/** REQs of the client that never reads, each asking for everything tagged big. */
const STALLED_REQS = 64;
/** Short, so the test sees the release; the default is 15 s. */
const STALL_MS = 3000;
/** Generous bounds (the machine is shared); the figures are printed. */
const BYSTANDER_MAX_MS = 3000;
const RSS_GROWTH_MAX = 400 * 1024 * 1024;
const TEST = { timeout: 240_000 } as const;

/**
 * A client sends 64 REQs `{"#t":["big"],"limit":5000}` over 2,000 stored 30 KB events and never
 * reads. Its stalled streams may hold only its own share of the query slots and a bounded
 * number of bytes; a bystander's REQ keeps getting EOSE fast; after STALLED_STREAM_TIMEOUT_MS
 * its queries are released and it is closed as a slow consumer (1008).
 */
export function stalledReaderTests(start: StartRelay): void {
  describe('a client that stops reading (stalled streams)', () => {
    const ctx = relayForBlock(start, { env: { STALLED_STREAM_TIMEOUT_MS: String(STALL_MS) } });

    it(
      'holds only its share of the read path; a bystander keeps its latency; released after the stall bound',
      TEST,
      async (t) => {
        const relay = ctx.relay;
        const keys = newKeys();
        const padding = randomHex(EVENT_BYTES / 2);
        const events = Array.from({ length: EVENTS }, (_, i) =>
          signEvent(keys, { tags: [['t', 'big']], content: `${i} ${padding}` }),
        );
        const t0 = Date.now();
        await publishAll(relay.url, events);
        t.diagnostic(`stored ${EVENTS} events of ${EVENT_BYTES} bytes in ${Date.now() - t0} ms`);

        const bystander = await RawClient.open(relay.url);
        const pids = readPathPids(relay);
        // The publishes' tail (fanout of 60 MB to every gateway) must not count as the attack's
        // cost: the baseline is taken once the read path's RSS has settled.
        await settled(pids);
        const sampler = new RssSampler(pids);
        const baseline = sampler.now();
        const stalled = await NonReader.open(relay.url);
        const latencies: number[] = [];
        let stalledClose: number | undefined;
        try {
          stalled.sendAll(
            Array.from({ length: STALLED_REQS }, (_, i) => [
              'REQ',
              `big-${i}`,
              { '#t': ['big'], limit: 5000 },
            ]),
          );
          const attackStart = Date.now();
          // While the streams stall (and until the stall bound has passed), the bystander reads
          // a few of the same big events again and again.
          while (Date.now() - attackStart < STALL_MS + 1500) {
            const q0 = performance.now();
            const r = await bystander.query([{ '#t': ['big'], limit: 5 }], { timeoutMs: 60_000 });
            latencies.push(performance.now() - q0);
            assert.equal(r.end, 'EOSE', `bystander REQ CLOSED: ${r.reason}`);
            assert.equal(r.events.length, 5);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          stalledClose = await stalled.resumeUntilClosed(30_000);
        } finally {
          stalled.terminate();
        }
        const peak = sampler.stop();
        bystander.close();
        const max = Math.max(...latencies);
        const sorted = [...latencies].sort((a, b) => a - b);
        const p50 = sorted[Math.floor(sorted.length / 2)]!;
        t.diagnostic(
          `bystander REQ (5 big events) p50 ${p50.toFixed(0)} ms, max ${max.toFixed(0)} ms over ${latencies.length} REQs`,
        );
        t.diagnostic(
          `read-path RSS (pids ${pids.join(',')}): ${mib(baseline)} before, peak ${mib(peak)} (+${mib(peak - baseline)}); peaks ${sampler.perProcess()}`,
        );
        assert.ok(pids.length > 0, 'no relay process to measure');
        assert.ok(max < BYSTANDER_MAX_MS, `a bystander REQ took ${max.toFixed(0)} ms`);
        assert.ok(peak - baseline < RSS_GROWTH_MAX, `memory grew by ${mib(peak - baseline)}`);
        assert.equal(stalledClose, 1008, 'the stalled client was closed as a slow consumer');
        // Its queries were released: four REQs of the same shape on one connection run to EOSE.
        const after = await RawClient.open(relay.url);
        try {
          const results = await Promise.all(
            Array.from({ length: 4 }, () =>
              after.query([{ '#t': ['big'], limit: 50 }], { timeoutMs: 30_000 }),
            ),
          );
          for (const r of results) assert.equal(r.events.length, 50, `${r.end} ${r.reason}`);
        } finally {
          after.close();
        }
      },
    );
  });
}
