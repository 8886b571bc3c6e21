import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, nowSec, signEvent } from '@nrelay/testkit';
import { connectRelay, newPool, storedEvents } from '../harness/nostr.js';
import { assertAccepted, assertPrefix, type SuiteContext, T, withClient } from './context.js';

/** NIP-01 EVENT / OK and the simplest REQ: publish, read back, exact text, one OK each. */
export function publishTests(ctx: SuiteContext): void {
  describe('NIP-01 publish and read back', () => {
    it('nostr-tools publish gets OK true and a REQ returns the event', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys, { content: 'hello from nostr-tools' });
      const relay = await connectRelay(ctx.relay.url);
      try {
        const reason = await relay.publish(event);
        assert.equal(typeof reason, 'string');
        const got = await storedEvents(relay, [{ ids: [event.id] }]);
        // nostr-tools marks verified events with a symbol; compare the wire fields only.
        assert.deepEqual(
          got.map((e) => JSON.parse(JSON.stringify(e))),
          [event],
        );
      } finally {
        relay.close();
      }
    });

    it('SimplePool publish and querySync round-trip', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys, { kind: 1, content: 'pool note' });
      const pool = newPool();
      try {
        await Promise.all(pool.publish([ctx.relay.url], event));
        const got = await pool.querySync([ctx.relay.url], { authors: [keys.pk] }, { maxWait: 5000 });
        assert.deepEqual(
          got.map((e) => e.id),
          [event.id],
        );
      } finally {
        pool.destroy();
      }
    });

    it('REQ answers stored EVENT frames, then EOSE, on the wire', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys);
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(event), 'publish');
        const from = c.mark();
        const r = await c.query([{ ids: [event.id] }], { subId: 'wire-check' });
        assert.equal(r.end, 'EOSE');
        const frames = c.frames.slice(from).map((f) => f.msg?.[0]);
        assert.deepEqual(frames.slice(0, 2), ['EVENT', 'EOSE'], `frames: ${frames.join(',')}`);
        assert.deepEqual(c.frames[from]?.msg?.slice(0, 2), ['EVENT', 'wire-check']);
        assert.deepEqual(r.events, [event]);
      });
    });

    it('returns the event as the exact JSON text it was sent as (reordered keys, unicode)', T, async () => {
      const keys = newKeys();
      const e = signEvent(keys, {
        content: 'caf\u00e9 "quoted" back\\slash\nnew line \u{1f389}',
        tags: [['t', 'x']],
      });
      const text =
        `{"sig":"${e.sig}","content":${JSON.stringify(e.content)},"tags":${JSON.stringify(e.tags)},` +
        `"kind":${e.kind},"created_at":${e.created_at},"pubkey":"${e.pubkey}","id":"${e.id}"}`;
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(text), 'publish raw text');
        const r = await c.query([{ ids: [e.id] }]);
        assert.deepEqual(r.texts, [text]);
      });
    });

    it('returns the event byte-identical even with non-canonical escapes and whitespace', T, async () => {
      const keys = newKeys();
      const e = signEvent(keys, { content: 'caf\u00e9 a/b' });
      // Same event as JSON text, spelled differently: \u escapes, an escaped slash, spaces.
      const content = '"caf\\u00e9 a\\/b"';
      const text = `{ "id": "${e.id}", "pubkey": "${e.pubkey}", "created_at": ${e.created_at}, "kind": 1, "tags": [ ], "content": ${content}, "sig": "${e.sig}" }`;
      assert.deepEqual(JSON.parse(text), e);
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(text), 'publish raw text');
        const r = await c.query([{ ids: [e.id] }]);
        assert.deepEqual(r.texts, [text]);
      });
    });

    it('answers exactly one OK per EVENT, also when EVENTs are pipelined', T, async () => {
      const keys = newKeys();
      const base = nowSec();
      const events = [0, 1, 2, 3, 4].map((i) => signEvent(keys, { created_at: base - i }));
      await withClient(ctx.relay.url, async (c) => {
        const from = c.mark();
        for (const e of events) await c.sendJson(['EVENT', e]);
        for (const e of events) {
          const ok = await c.waitFor((m) => m[0] === 'OK' && m[1] === e.id, { from, what: `OK for ${e.id}` });
          assert.equal(ok.msg[2], true, ok.raw);
        }
        await c.barrier();
        const oks = c.frames.slice(from).filter((f) => f.msg?.[0] === 'OK');
        assert.deepEqual(oks.map((f) => f.msg?.[1]).sort(), events.map((e) => e.id).sort());
      });
    });

    it('a duplicate gets OK true with a "duplicate:" message, and is stored once', T, async () => {
      const keys = newKeys();
      const event = signEvent(keys);
      await withClient(ctx.relay.url, async (c) => {
        const from = c.mark();
        const first = await c.publish(event);
        assertAccepted(first, 'first submission');
        const second = await c.publish(event);
        assertAccepted(second, 'duplicate submission');
        assertPrefix(second.message, 'duplicate:', 'duplicate OK');
        await c.barrier();
        assert.equal(c.frames.slice(from).filter((f) => f.msg?.[0] === 'OK').length, 2);
        const r = await c.query([{ authors: [keys.pk] }]);
        assert.deepEqual(r.events, [event]);
      });
    });
  });
}
