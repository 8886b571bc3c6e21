import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, nowSec, type RawClient, randomWord, signEvent } from '@nrelay/testkit';
import { computeOffset, feedPubkey, hllEncode, newHll } from 'nostr-tools/nip45';
import { connectRelay } from '../harness/nostr.js';
import { idSet, publishAll, type SuiteContext, T, withClient } from './context.js';

/** NIP-45 COUNT and NIP-50 search. */
export function countSearchTests(ctx: SuiteContext): void {
  describe('NIP-45 COUNT', () => {
    it('answers ["COUNT", sub, {"count": n}] for the matching stored events', T, async () => {
      const keys = newKeys();
      const events = [1, 2, 3].map((i) => signEvent(keys, { created_at: nowSec() - i }));
      const other = signEvent(keys, { kind: 7 });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [...events, other]);
        const from = c.mark();
        await c.sendJson(['COUNT', 'cnt', { authors: [keys.pk], kinds: [1] }]);
        const f = await c.waitFor((m) => (m[0] === 'COUNT' || m[0] === 'CLOSED') && m[1] === 'cnt', {
          from,
          what: 'COUNT reply',
        });
        assert.equal(f.msg[0], 'COUNT', f.raw);
        assert.equal((f.msg[2] as { count?: unknown }).count, 3, f.raw);
        await c.sendJson([
          'COUNT',
          'cnt2',
          { authors: [keys.pk], kinds: [1] },
          { authors: [keys.pk], kinds: [7] },
        ]);
        const two = await c.waitFor((m) => m[1] === 'cnt2', { from, what: 'COUNT reply for 2 filters' });
        assert.equal((two.msg[2] as { count?: unknown }).count, 4, `filters are OR-ed: ${two.raw}`);
      });
    });

    it('nostr-tools count() gets 0 for an author with no events', T, async () => {
      const relay = await connectRelay(ctx.relay.url);
      try {
        assert.equal(await relay.count([{ authors: [newKeys().pk] }], {}), 0);
      } finally {
        relay.close();
      }
    });
  });

  describe('NIP-45 COUNT with HyperLogLog', () => {
    it(
      'answers hll for one tag value with kinds, as nostr-tools computes it, and not for others',
      T,
      async () => {
        const author = newKeys();
        const target = signEvent(author, { created_at: nowSec() - 60 });
        const reactors = Array.from({ length: 40 }, () => newKeys());
        const reactions = reactors.map((k) =>
          signEvent(k, { kind: 7, tags: [['e', target.id]], content: '+' }),
        );
        const reply = signEvent(reactors[0]!, { kind: 1, tags: [['e', target.id]] });
        await withClient(ctx.relay.url, async (c) => {
          await publishAll(c, [target, ...reactions, reply]);
          const answer = await countAnswer(c, [{ '#e': [target.id], kinds: [7] }]);
          assert.equal(answer.count, reactions.length);
          let expected = newHll();
          const offset = computeOffset(target.id);
          for (const r of reactions) expected = feedPubkey(expected, r.pubkey, offset);
          assert.equal(answer.hll, hllEncode(expected), 'registers byte for byte');
          const followers = await countAnswer(c, [{ '#p': [author.pk], kinds: [3] }]);
          assert.deepEqual(followers, { count: 0, hll: '00'.repeat(256) }, 'no followers: zero registers');
          for (const plain of [
            [{ '#e': [target.id] }],
            [{ '#e': [target.id, reply.id], kinds: [7] }],
            [{ '#e': [target.id], kinds: [7], authors: [reactors[1]!.pk] }],
            [
              { '#e': [target.id], kinds: [7] },
              { kinds: [1], authors: [reactors[0]!.pk] },
            ],
          ]) {
            const got = await countAnswer(c, plain);
            assert.equal(got.hll, undefined, `no hll for ${JSON.stringify(plain)}`);
          }
        });
      },
    );
  });

  describe('NIP-50 search', () => {
    it('finds events whose content has the word, and not others', T, async () => {
      const keys = newKeys();
      const word = randomWord();
      const hit1 = signEvent(keys, { content: `the ${word} sings at night` });
      const hit2 = signEvent(keys, { content: `${word}!` });
      const miss = signEvent(keys, { content: 'nothing of interest here' });
      const otherWord = signEvent(keys, { content: `${randomWord()} only` });
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, [hit1, hit2, miss, otherWord]);
        const r = await c.query([{ search: word }]);
        assert.equal(r.end, 'EOSE', r.reason);
        assert.deepEqual(idSet(r.events), idSet([hit1, hit2]));
        const scoped = await c.query([{ search: word, authors: [newKeys().pk] }]);
        assert.equal(scoped.events.length, 0, 'search must combine with the other filter fields');
      });
    });
  });
}

/** Sends a COUNT and returns its answer's body (fails on CLOSED). */
async function countAnswer(c: RawClient, filters: object[]): Promise<{ count?: unknown; hll?: unknown }> {
  const subId = c.nextSubId('hll');
  const from = c.mark();
  await c.sendJson(['COUNT', subId, ...filters]);
  const f = await c.waitFor((m) => (m[0] === 'COUNT' || m[0] === 'CLOSED') && m[1] === subId, {
    from,
    what: 'COUNT reply',
  });
  assert.equal(f.msg[0], 'COUNT', f.raw);
  return f.msg[2] as { count?: unknown; hll?: unknown };
}
