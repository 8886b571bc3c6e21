import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type Message, newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import type { RelayUnderTest, StartRelay } from '../harness/types.js';
import { relayForBlock } from '../suite/context.js';
import { Bystander, type BystanderReport } from './bystander.js';
import { NonReader, publishAll } from './load.js';

/** Stored events the floods query and count. */
const EVENTS = 2000;
const REQ_FLOOD = 5000;
const COUNT_FLOOD = 2000;
/** Generous bound (the machine is shared); the figures are printed. */
const BYSTANDER_MAX_MS = 3000;
/** How long the bystander measures while the REQ flood is being handled. */
const REQ_FLOOD_WATCH_MS = 4000;
const TEST = { timeout: 120_000 } as const;

function check(t: TestContext, what: string, r: BystanderReport): void {
  const f = (ms: number) => ms.toFixed(0);
  t.diagnostic(
    `${what}: bystander REQ p50 ${f(r.p50Ms)} ms, p95 ${f(r.p95Ms)} ms, max ${f(r.maxMs)} ms over ${r.latenciesMs.length} REQs`,
  );
  assert.deepEqual(r.failures, [], 'the bystander REQ failed');
  assert.deepEqual(r.healthFailures, [], '/healthz did not answer 200');
  assert.ok(r.latenciesMs.length > 0, 'the bystander measured nothing');
  assert.ok(r.maxMs < BYSTANDER_MAX_MS, `a bystander REQ took ${f(r.maxMs)} ms`);
}

/** Tally of the answers of a flood, by verb and by CLOSED prefix. */
function tally(messages: ReadonlyArray<readonly unknown[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of messages) {
    const key = m[0] === 'CLOSED' ? `CLOSED ${String(m[2]).split(':', 1)[0]}:` : String(m[0]);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/**
 * Counts run by a one-process relay so far (its /metrics: the query engine's duration
 * histogram, op count); undefined for a cluster, whose engine runs in the query services.
 */
async function countsRun(relay: RelayUnderTest): Promise<number | undefined> {
  if (relay.pid === undefined) return undefined;
  const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('nrelay_query_duration_seconds_count{') && line.includes('op="count"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/**
 * REQ and COUNT floods from one connection, with default settings (issue 10, defect 5): the
 * per-connection rate limit, the in-flight bound and the fair query slots keep another
 * client's REQ fast, and no flooded COUNT is answered `error:` (the relay failing) — a refusal
 * is `rate-limited:`.
 */
export function floodTests(start: StartRelay): void {
  describe('REQ and COUNT floods from one connection (default settings)', () => {
    const ctx = relayForBlock(start);

    before(async () => {
      const keys = newKeys();
      const events = Array.from({ length: EVENTS }, () => signEvent(keys, { content: randomWord(200) }));
      await publishAll(ctx.relay.url, events);
    }, TEST);

    it(`${REQ_FLOOD} REQs replacing one subscription id, never read`, TEST, async (t) => {
      const relay = ctx.relay;
      const bystander = await Bystander.start(relay, 30_000);
      const flooder = await NonReader.open(relay.url);
      let replies: unknown[][];
      try {
        flooder.sendAll(
          Array.from({ length: REQ_FLOOD }, () => ['REQ', 'flood', { kinds: [1], limit: 500 }]),
        );
        await new Promise((resolve) => setTimeout(resolve, REQ_FLOOD_WATCH_MS));
        check(t, `${REQ_FLOOD} REQs`, await bystander.stop());
        replies = await flooder.resumeUntilQuiet(500, 30_000);
      } finally {
        flooder.terminate();
      }
      const reqTally = tally(replies.filter((m) => m[0] !== 'EVENT'));
      t.diagnostic(`REQ flood answers: ${JSON.stringify(reqTally)}`);
      for (const m of replies) {
        if (m[0] === 'CLOSED') assert.match(String(m[2]), /^rate-limited:/, JSON.stringify(m));
      }
    });

    it(`${COUNT_FLOOD} COUNT {} on one connection`, TEST, async (t) => {
      const relay = ctx.relay;
      const countsBefore = await countsRun(relay);
      const bystander = await Bystander.start(relay, 30_000);
      const counter = await RawClient.open(relay.url);
      let answers: Message[];
      try {
        const from = counter.mark();
        for (let i = 0; i < COUNT_FLOOD; i++) void counter.send(JSON.stringify(['COUNT', `c${i}`, {}]));
        let n = 0;
        await counter.waitFor(
          (m) =>
            (m[0] === 'COUNT' || m[0] === 'CLOSED') && String(m[1]).startsWith('c') && ++n === COUNT_FLOOD,
          { from, timeoutMs: 60_000, what: `${COUNT_FLOOD} COUNT answers` },
        );
        answers = counter.frames.slice(from).flatMap((f) => (f.msg ? [f.msg] : []));
      } finally {
        counter.close();
        check(t, `${COUNT_FLOOD} COUNT {}`, await bystander.stop());
      }
      const countTally = tally(answers);
      t.diagnostic(`COUNT flood answers: ${JSON.stringify(countTally)}`);
      const counted = answers.filter((m) => m[0] === 'COUNT');
      assert.ok(counted.length > 0, 'no COUNT was answered');
      for (const m of counted) assert.equal((m[2] as { count?: unknown }).count, EVENTS, JSON.stringify(m));
      for (const m of answers.filter((a) => a[0] === 'CLOSED')) {
        assert.match(String(m[2]), /^rate-limited:/, `a flooded COUNT was answered ${JSON.stringify(m)}`);
      }
      // Identical COUNTs share one count and its answer for COUNT_CACHE_MS.
      const countsAfter = await countsRun(relay);
      if (countsBefore !== undefined && countsAfter !== undefined) {
        const run = countsAfter - countsBefore;
        t.diagnostic(`counts run for ${counted.length} answered COUNTs: ${run}`);
        assert.ok(run <= 20, `${run} counts run for ${counted.length} identical COUNTs`);
      }
    });
  });
}
