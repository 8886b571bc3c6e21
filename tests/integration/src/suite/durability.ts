import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { newKeys, nowSec, signEvent } from '@nrelay/testkit';
import type { RelayUnderTest, StartRelay } from '../harness/types.js';
import { idSet, publishAll, withClient } from './context.js';

/** What was acknowledged survives a SIGTERM and a restart on the same storage. */
export function durabilityTests(start: StartRelay): void {
  describe('restart durability', () => {
    let relay: RelayUnderTest | undefined;
    after(async () => relay?.stop(), { timeout: 30_000 });

    it('events acknowledged before SIGTERM are served after a restart', { timeout: 90_000 }, async () => {
      relay = await start();
      const keys = newKeys();
      const note = signEvent(keys, { created_at: nowSec() - 5 });
      const profile = signEvent(keys, { kind: 0, content: '{"name":"durable"}' });
      const article = signEvent(keys, { kind: 30023, tags: [['d', 'kept']] });
      const doomed = signEvent(keys, { created_at: nowSec() - 6 });
      const deletion = signEvent(keys, { kind: 5, tags: [['e', doomed.id]] });
      const url = relay.url;
      await withClient(url, (c) => publishAll(c, [note, profile, article, doomed, deletion]));
      relay = await relay.restart();
      await withClient(relay.url, async (c) => {
        const r = await c.query([{ authors: [keys.pk] }]);
        assert.deepEqual(idSet(r.events), idSet([note, profile, article, deletion]));
        assert.equal((await c.publish(doomed)).ok, false, 'deleted event accepted again after restart');
      });
    });
  });
}
