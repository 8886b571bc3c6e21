import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, nowSec, signEvent } from '@nrelay/testkit';
import type { StartRelay } from '../harness/types.js';
import {
  assertAccepted,
  assertMachinePrefix,
  assertRefused,
  assertUsable,
  idsOf,
  publishAll,
  relayForBlock,
  T,
  withClient,
} from './context.js';
import { assertLimitation, fetchNip11 } from './nip11.js';

/** Non-default settings, all small enough to cross cheaply. */
const TUNED_ENV = {
  MAX_FILTERS: '5',
  MAX_SUBSCRIPTIONS: '4',
  MAX_LIMIT: '5',
  DEFAULT_LIMIT: '3',
  MAX_SUBID_LENGTH: '32',
  MAX_EVENT_TAGS: '40',
  MAX_CONTENT_LENGTH: '2000',
  MAX_MESSAGE_BYTES: '32768',
  CREATED_AT_LOWER_LIMIT: '3600',
  CREATED_AT_UPPER_LIMIT: '120',
} as const;

/** A relay started with {@link TUNED_ENV}: NIP-11 mirrors it and every limit is enforced at its value. */
export function tunedLimitTests(start: StartRelay): void {
  describe('settings from the environment (non-default limits)', () => {
    const ctx = relayForBlock(start, { env: { ...TUNED_ENV } });

    it('NIP-11 limitation equals the environment the relay was started with', T, async () => {
      const { doc } = await fetchNip11(ctx.relay);
      assertLimitation(doc, {
        max_filters: 5,
        max_subscriptions: 4,
        max_limit: 5,
        default_limit: 3,
        max_subid_length: 32,
        max_event_tags: 40,
        max_content_length: 2000,
        max_message_length: 32768,
        created_at_lower_limit: 3600,
        created_at_upper_limit: 120,
      });
    });

    it('MAX_FILTERS=5: 5 filters served, 6 CLOSED', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        const filters = (n: number) => Array.from({ length: n }, (_, i) => ({ kinds: [i], limit: 1 }));
        assert.equal((await c.query(filters(5))).end, 'EOSE');
        const r = await c.query(filters(6));
        assert.equal(r.end, 'CLOSED', '6 filters were served');
        assertMachinePrefix(r.reason, 'CLOSED for 6 filters');
        await assertUsable(c);
      });
    });

    it('MAX_SUBSCRIPTIONS=4: the 5th open subscription is CLOSED', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        for (let i = 0; i < 4; i++) {
          assert.equal((await c.query([{ limit: 1 }], { subId: `s${i}`, keepOpen: true })).end, 'EOSE');
        }
        const r = await c.query([{ limit: 1 }], { subId: 's4', keepOpen: true });
        assert.equal(r.end, 'CLOSED', '5th subscription was served');
        assertMachinePrefix(r.reason, 'CLOSED for the 5th subscription');
      });
    });

    it('DEFAULT_LIMIT=3 applies without limit; MAX_LIMIT=5 caps a larger limit', T, async () => {
      const keys = newKeys();
      const base = nowSec() - 100;
      const events = [1, 2, 3, 4, 5, 6].map((i) => signEvent(keys, { created_at: base + i }));
      await withClient(ctx.relay.url, async (c) => {
        await publishAll(c, events);
        const newest = [...events].reverse();
        const dflt = await c.query([{ authors: [keys.pk] }]);
        assert.deepEqual(idsOf(dflt.events), idsOf(newest.slice(0, 3)), 'default limit');
        const capped = await c.query([{ authors: [keys.pk], limit: 100 }]);
        assert.deepEqual(idsOf(capped.events), idsOf(newest.slice(0, 5)), 'limit above MAX_LIMIT');
        const small = await c.query([{ authors: [keys.pk], limit: 2 }]);
        assert.deepEqual(idsOf(small.events), idsOf(newest.slice(0, 2)), 'explicit limit');
      });
    });

    it('MAX_SUBID_LENGTH=32: 32 chars served, 33 refused', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        assert.equal((await c.query([{ limit: 1 }], { subId: 'x'.repeat(32) })).end, 'EOSE');
        const from = c.mark();
        const long = 'x'.repeat(33);
        await c.sendJson(['REQ', long, { limit: 1 }]);
        const f = await c.waitFor((m) => m[1] === long || m[0] === 'NOTICE', {
          from,
          what: 'answer to a 33-char sub id',
        });
        assert.notEqual(f.msg[0], 'EOSE', `33-char sub id was served: ${f.raw}`);
        assert.notEqual(f.msg[0], 'EVENT', `33-char sub id was served: ${f.raw}`);
        await assertUsable(c);
      });
    });

    it('CREATED_AT_LOWER_LIMIT=3600 / UPPER=120: outside refused, inside accepted', T, async () => {
      const keys = newKeys();
      await withClient(ctx.relay.url, async (c) => {
        assertRefused(await c.publish(signEvent(keys, { created_at: nowSec() - 7200 })), '2 h old');
        assertAccepted(await c.publish(signEvent(keys, { created_at: nowSec() - 1800 })), '30 min old');
        assertRefused(
          await c.publish(signEvent(keys, { created_at: nowSec() + 600 })),
          '10 min ahead',
          'invalid:',
        );
        assertAccepted(await c.publish(signEvent(keys, { created_at: nowSec() + 60 })), '1 min ahead');
      });
    });

    it('MAX_EVENT_TAGS=40 and MAX_CONTENT_LENGTH=2000 hold at the boundary', T, async () => {
      const keys = newKeys();
      const tags = (n: number) => Array.from({ length: n }, (_, i) => ['t', `v${i}`]);
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(signEvent(keys, { tags: tags(40) })), '40 tags');
        assertRefused(await c.publish(signEvent(keys, { tags: tags(41) })), '41 tags');
        assertAccepted(await c.publish(signEvent(keys, { content: 'a'.repeat(2000) })), '2000 chars');
        assertRefused(await c.publish(signEvent(keys, { content: 'a'.repeat(2001) })), '2001 chars');
      });
    });

    it('MAX_MESSAGE_BYTES=32768: a larger message is refused, a smaller one accepted', T, async () => {
      const keys = newKeys();
      // Within the tag and content limits, so only the message size can be at fault.
      const bigTags = (n: number) => Array.from({ length: n }, (_, i) => ['r', `${i}-${'z'.repeat(1600)}`]);
      await withClient(ctx.relay.url, async (c) => {
        assertAccepted(await c.publish(signEvent(keys, { tags: bigTags(10) })), '~16 KB message');
        const big = signEvent(keys, { tags: bigTags(21) });
        const from = c.mark();
        await c.sendJson(['EVENT', big]);
        const f = await c.waitFor((m) => (m[0] === 'OK' && m[1] === big.id) || m[0] === 'NOTICE', {
          from,
          what: 'OK false or NOTICE for a ~34 KB message',
        });
        if (f.msg[0] === 'OK') assert.equal(f.msg[2], false, `~34 KB message accepted: ${f.raw}`);
        await assertUsable(c);
      });
    });
  });
}
