import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, RawClient, signEvent } from '@nrelay/testkit';
import type { StartRelay } from '../harness/types.js';
import { httpStatus } from '../harness/wait.js';
import { assertPrefix, relayForBlock } from '../suite/context.js';
import { Bystander } from './bystander.js';

/** The frame of issue 10, defect 1: "word" ×12,000 (a 60 KB frame, under MAX_MESSAGE_BYTES). */
const HUGE_SEARCH = Array(12_000).fill('word').join(' ');
/** Generous bounds (the machine is shared); the figures are printed. */
const ANSWER_MAX_MS = 5_000;
const BYSTANDER_MAX_MS = 3_000;
const TEST = { timeout: 60_000 } as const;

/**
 * NIP-50 search input is bounded (MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS): a search too long for
 * the database is answered CLOSED `invalid:` before any query runs, on every connection, and
 * the relay stays up for everyone else. Before the bound, the second such REQ wedged a
 * standalone relay on PGlite for good (main thread at 100 %, /healthz dead).
 */
export function searchAbuseTests(start: StartRelay): void {
  describe('a 12,000-word NIP-50 search (defect 1)', () => {
    const ctx = relayForBlock(start);

    it('two connections get CLOSED invalid: at once; /healthz and a bystander stay fast', TEST, async (t) => {
      const relay = ctx.relay;
      const author = await RawClient.open(relay.url);
      const keys = newKeys();
      for (let i = 0; i < 5; i++) {
        const ok = await author.publish(signEvent(keys, { content: `word number ${i}` }));
        assert.equal(ok.ok, true, ok.message);
      }
      author.close();

      const bystander = await Bystander.start(relay, 20_000);
      const attackers = [await RawClient.open(relay.url), await RawClient.open(relay.url)];
      const started = performance.now();
      const answers = await Promise.all(
        attackers.map((c) => c.query([{ search: HUGE_SEARCH }], { timeoutMs: ANSWER_MAX_MS * 2 })),
      );
      const answeredMs = performance.now() - started;
      for (const answer of answers) {
        assert.equal(answer.end, 'CLOSED', 'a too long search must not run');
        assertPrefix(answer.reason, 'invalid: search', 'CLOSED reason');
      }
      const count = attackers[0]!.mark();
      await attackers[0]!.sendJson(['COUNT', 'c1', { search: HUGE_SEARCH }]);
      const counted = await attackers[0]!.waitFor((m) => m[1] === 'c1', { from: count });
      assert.equal(counted.msg[0], 'CLOSED');
      assertPrefix(counted.msg[2], 'invalid: search', 'COUNT CLOSED reason');
      assert.equal(await httpStatus(`${relay.httpUrl}/healthz`, 2_000), 200, '/healthz after the attack');
      // The same connections keep working, and so does an ordinary search.
      const found = await attackers[1]!.query([{ search: 'word number' }], { timeoutMs: ANSWER_MAX_MS });
      assert.equal(found.end, 'EOSE');
      assert.equal(found.events.length, 5);
      for (const c of attackers) c.close();
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const r = await bystander.stop();
      t.diagnostic(
        `both answered in ${answeredMs.toFixed(0)} ms; bystander REQ p50 ${r.p50Ms.toFixed(0)} ms, ` +
          `max ${r.maxMs.toFixed(0)} ms over ${r.latenciesMs.length} REQs`,
      );
      assert.ok(answeredMs < ANSWER_MAX_MS, `answered in ${answeredMs.toFixed(0)} ms`);
      assert.deepEqual(r.failures, [], 'the bystander REQ failed');
      assert.deepEqual(r.healthFailures, [], '/healthz did not answer 200');
      assert.ok(r.latenciesMs.length > 0, 'the bystander measured nothing');
      assert.ok(r.maxMs < BYSTANDER_MAX_MS, `a bystander REQ took ${r.maxMs.toFixed(0)} ms`);
    });
  });
}
