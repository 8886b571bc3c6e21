import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, signEvent } from '@nrelay/testkit';
import { assertAccepted, type SuiteContext, T, withClient } from './context.js';

/**
 * A live-only REQ with an otherwise empty filter (`{"limit":0}`): what `nrelay mirror` and
 * other relays' mirrors send. Accepted, EOSE at once with no stored event, then every new event
 * the viewer may see, and nothing private of others.
 */
export function liveOnlyTests(ctx: SuiteContext): void {
  describe('live-only REQ with an empty filter', () => {
    it('["REQ", s, {"limit": 0}]: EOSE at once, then every new event', T, async () => {
      const [keys, other, recipient] = [newKeys(), newKeys(), newKeys()];
      await withClient(ctx.relay.url, async (publisher) => {
        assertAccepted(
          await publisher.publish(signEvent(keys, { content: 'stored before' })),
          'a stored event',
        );
        await withClient(ctx.relay.url, async (mirror) => {
          const r = await mirror.query([{ limit: 0 }], { subId: 'all', keepOpen: true });
          assert.equal(r.end, 'EOSE', `refused: ${r.reason}`);
          assert.equal(r.events.length, 0, 'a live-only REQ returned stored events');
          const from = mirror.mark();
          const fresh = [signEvent(keys, { content: 'new' }), signEvent(other, { kind: 7, content: '+' })];
          const dm = signEvent(other, { kind: 4, tags: [['p', recipient.pk]], content: 'secret' });
          for (const e of [...fresh, dm]) assertAccepted(await publisher.publish(e), `publishing ${e.kind}`);
          for (const e of fresh) await mirror.nextEvent('all', e.id, from);
          await mirror.barrier();
          assert.equal(mirror.eventsOn('all', from, dm.id).length, 0, 'a DM reached an anonymous mirror');
        });
      });
    });
  });
}
