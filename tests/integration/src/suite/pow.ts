import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventWithoutPow, newKeys, nowSec } from '@nrelay/testkit';
import { getPow, minePow } from 'nostr-tools/nip13';
import { finalizeEvent } from 'nostr-tools/pure';
import type { StartRelay } from '../harness/types.js';
import { assertAccepted, assertRefused, idsOf, relayForBlock, T, withClient } from './context.js';
import { assertLimitation, fetchNip11 } from './nip11.js';

/** NIP-13 proof of work required by MIN_POW_DIFFICULTY. */
export function powTests(start: StartRelay): void {
  describe('NIP-13 proof of work (MIN_POW_DIFFICULTY=8)', () => {
    const ctx = relayForBlock(start, { env: { MIN_POW_DIFFICULTY: '8' } });

    it('advertises min_pow_difficulty 8', T, async () => {
      assertLimitation((await fetchNip11(ctx.relay)).doc, { min_pow_difficulty: 8 });
    });

    it('refuses an event without work with "pow:"', T, async () => {
      const e = eventWithoutPow(newKeys(), 8);
      await withClient(ctx.relay.url, async (c) => {
        assertRefused(await c.publish(e), 'event without work', 'pow:');
      });
    });

    it('accepts an event mined with nostr-tools minePow to 8 bits', T, async () => {
      const keys = newKeys();
      const mined = minePow(
        { kind: 1, tags: [], content: 'worked for it', created_at: nowSec(), pubkey: keys.pk },
        8,
      );
      const event = finalizeEvent(
        { kind: mined.kind, tags: mined.tags, content: mined.content, created_at: mined.created_at },
        keys.sk,
      );
      assert.equal(event.id, mined.id);
      assert.ok(getPow(event.id) >= 8);
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(JSON.stringify(event)), 'mined event');
        const r = await c.query([{ ids: [event.id] }]);
        assert.deepEqual(idsOf(r.events), [event.id]);
      });
    });
  });
}
