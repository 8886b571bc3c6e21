import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Keys, newKeys, nowSec, type RawClient, signEvent } from '@nrelay/testkit';
import { nip77 } from 'nostr-tools';
import type { NostrEvent } from 'nostr-tools/pure';
import type { StartRelay } from '../harness/types.js';
import { openAs } from './access-helpers.js';
import { assertAccepted, assertPrefix, relayForBlock, withClient } from './context.js';
import { assertLimitation, fetchNip11 } from './nip11.js';

/** The relay's cap in this block: the big sync covers exactly this many events. */
const CAP = 3000;
const T = { timeout: 120_000 } as const;

type Item = readonly [number, string];

/**
 * One NIP-77 sync over the wire with nostr-tools' `Negentropy` as the initiator, holding
 * `items`: NEG-OPEN, then NEG-MSG rounds until it has nothing left to ask, then NEG-CLOSE.
 * Returns the ids only the client has, the ids only the relay has, and the rounds, or the
 * NEG-ERR reason.
 */
async function sync(c: RawClient, filter: object, items: readonly Item[], frameSizeLimit = 60_000) {
  const storage = new nip77.NegentropyStorageVector();
  for (const [ts, id] of items) storage.insert(ts, id);
  storage.seal();
  const neg = new nip77.Negentropy(storage, frameSizeLimit);
  const subId = c.nextSubId('neg');
  const have = new Set<string>();
  const need = new Set<string>();
  let from = c.mark();
  await c.sendJson(['NEG-OPEN', subId, filter, neg.initiate()]);
  for (let rounds = 1; ; rounds++) {
    const answer = await c.waitFor((m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === subId, {
      from,
      timeoutMs: 30_000,
      what: `NEG answer on ${subId}`,
    });
    if (answer.msg[0] === 'NEG-ERR') return { error: String(answer.msg[2]), have, need, rounds };
    const next = neg.reconcile(
      String(answer.msg[2]),
      (id: string) => have.add(id),
      (id: string) => need.add(id),
    );
    if (next === null) {
      await c.sendJson(['NEG-CLOSE', subId]);
      return { error: undefined, have, need, rounds };
    }
    from = c.mark();
    await c.sendJson(['NEG-MSG', subId, next]);
  }
}

/** Publishes many events on one connection without waiting for each OK; fails on any refusal. */
async function publishAll(c: RawClient, events: readonly NostrEvent[]): Promise<void> {
  const from = c.mark();
  for (const e of events) void c.sendJson(['EVENT', e]);
  let oks = 0;
  const refused: string[] = [];
  await c.waitFor(
    (m) => {
      if (m[0] !== 'OK') return false;
      if (m[2] !== true) refused.push(String(m[3]));
      return ++oks === events.length;
    },
    { from, timeoutMs: 90_000, what: `${events.length} OKs` },
  );
  assert.deepEqual(refused, [], 'every event stored');
}

const itemOf = (e: NostrEvent): Item => [e.created_at, e.id];
const randomItems = (n: number, base: number): Item[] =>
  Array.from({ length: n }, () => [base + Math.floor(Math.random() * 2000), randomBytes(32).toString('hex')]);

/**
 * NIP-77 against the running relay (issue 13): nostr-tools' initiator finds exactly what each
 * side lacks over several rounds, the cap refuses a set one past it, versions, unknown ids and
 * bad messages are answered in NIP-77 form, and privileged events never enter a stranger's set.
 */
export function negentropyTests(start: StartRelay): void {
  describe('NIP-77 negentropy sync', () => {
    // DEFAULT_LIMIT below 500: a REQ by 500 ids must still be served whole.
    const ctx = relayForBlock(start, { env: { NEG_MAX_RECORDS: String(CAP), DEFAULT_LIMIT: '100' } });
    const author: Keys = newKeys();
    const base = nowSec() - 100_000;

    it('NIP-11 lists 77 and the session limits in effect', T, async () => {
      const { doc } = await fetchNip11(ctx.relay);
      assert.ok((doc.supported_nips as number[]).includes(77), JSON.stringify(doc.supported_nips));
      assertLimitation(doc, {
        nrelay_negentropy_max_records: CAP,
        nrelay_negentropy_idle_timeout_ms: 60_000,
        nrelay_negentropy_frame_bytes: 60_000,
      });
    });

    it(
      'syncs both ways: 3,000 on the relay, 3,000 on the client, 1,000 shared, several rounds',
      T,
      async () => {
        // Timestamps repeat (2,000 seconds for 3,000 events): bounds must split on ids too.
        const stored = Array.from({ length: CAP }, (_, i) =>
          signEvent(author, { created_at: base + (i % 2000), content: `n${i}` }),
        );
        await withClient(ctx.relay.url, (c) => publishAll(c, stored));
        const shared = stored.slice(0, 1000).map(itemOf);
        const mine = randomItems(2000, base);
        await withClient(ctx.relay.url, async (c) => {
          const result = await sync(c, { authors: [author.pk] }, [...shared, ...mine], 4096);
          assert.equal(result.error, undefined);
          assert.deepEqual(result.have, new Set(mine.map(([, id]) => id)), 'what only the client has');
          assert.deepEqual(
            result.need,
            new Set(stored.slice(1000).map((e) => e.id)),
            'what only the relay has',
          );
          assert.ok(result.rounds > 2, `only ${result.rounds} rounds`);
          // The relay is left usable on the same connection: a REQ by 500 ids is served whole.
          const ids = [...result.need].slice(0, 500);
          const fetched = await c.query([{ ids }]);
          assert.equal(fetched.end, 'EOSE');
          assert.equal(fetched.events.length, 500);
        });
      },
    );

    it('one event past NEG_MAX_RECORDS: NEG-ERR blocked: too many query results', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(signEvent(author, { created_at: base - 1 })), 'one more');
        const result = await sync(c, { authors: [author.pk] }, []);
        assert.equal(result.error, 'blocked: too many query results');
      });
    });

    it(
      'versions, unknown ids and bad messages get NIP-77 answers; the connection stays usable',
      T,
      async () => {
        await withClient(ctx.relay.url, async (c) => {
          let from = c.mark();
          await c.sendJson(['NEG-OPEN', 'v', { kinds: [1], limit: 1 }, '62']);
          const version = await c.waitFor((m) => m[1] === 'v', { from, what: 'answer to version 0x62' });
          assert.deepEqual(version.msg, ['NEG-MSG', 'v', '61']);
          from = c.mark();
          await c.sendJson(['NEG-MSG', 'nobody', '61']);
          const unknown = await c.waitFor((m) => m[1] === 'nobody', {
            from,
            what: 'NEG-ERR for an unknown id',
          });
          assert.equal(unknown.msg[0], 'NEG-ERR');
          assertPrefix(unknown.msg[2], 'closed: ', 'unknown id');
          from = c.mark();
          await c.sendJson(['NEG-OPEN', 'h', {}, 'not hex']);
          const bad = await c.waitFor((m) => m[1] === 'h', { from, what: 'NEG-ERR for bad hex' });
          assert.equal(bad.msg[0], 'NEG-ERR');
          assertPrefix(bad.msg[2], 'invalid: ', 'bad hex');
          const still = await c.query([{ authors: [author.pk], limit: 1 }]);
          assert.equal(still.events.length, 1, 'a REQ after the errors is answered');
        });
      },
    );

    it("privileged kinds: a stranger learns no one else's ids, a party syncs them", T, async () => {
      const [A, B, C] = [newKeys(), newKeys(), newKeys()];
      const note = signEvent(A, { kind: 1, tags: [['p', B.pk]] });
      const dm = signEvent(A, { kind: 4, tags: [['p', B.pk]] });
      const wrap = signEvent(A, { kind: 1059, tags: [['p', B.pk]] });
      await withClient(ctx.relay.url, (c) => publishAll(c, [note, dm, wrap]));
      const url = ctx.relay.url;
      const needed = async (c: RawClient, filter: object) => {
        const result = await sync(c, filter, []);
        assert.equal(result.error, undefined, `sync of ${JSON.stringify(filter)}`);
        return [...result.need].sort();
      };
      for (const viewer of [[], [C]]) {
        const c = await openAs(url, ...viewer);
        try {
          assert.deepEqual(await needed(c, { authors: [A.pk] }), [note.id]);
          assert.deepEqual(await needed(c, { '#p': [B.pk] }), [note.id]);
          if (viewer.length === 0) {
            const privateOnly = await sync(c, { kinds: [4, 1059] }, []);
            assertPrefix(privateOnly.error, 'auth-required: ', 'anonymous, privileged kinds only');
          } else {
            assert.deepEqual(await needed(c, { kinds: [4, 1059], '#p': [B.pk] }), [], 'a stranger');
          }
        } finally {
          c.close();
        }
      }
      const b = await openAs(url, B);
      try {
        assert.deepEqual(await needed(b, { authors: [A.pk] }), [note.id, dm.id, wrap.id].sort());
        assert.deepEqual(await needed(b, { kinds: [4, 1059], '#p': [B.pk] }), [dm.id, wrap.id].sort());
      } finally {
        b.close();
      }
    });
  });
}
