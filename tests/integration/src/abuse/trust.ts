import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NostrEvent } from '@nrelay/protocol';
import { type Keys, newKeys, RawClient, signEvent } from '@nrelay/testkit';
import { makeAuthEvent } from 'nostr-tools/nip42';
import { finalizeEvent } from 'nostr-tools/pure';
import type { StartRelay } from '../harness/types.js';
import { assertPrefix, relayForBlock } from '../suite/context.js';

const TEST = { timeout: 60_000 } as const;
/** What a malicious relay would have the victim sign for: its own URL, our challenge. */
const MALICIOUS_RELAY = 'wss://malicious-relay.example/';

async function challengeOf(c: RawClient): Promise<string> {
  const f = await c.waitFor((m) => m[0] === 'AUTH' && typeof m[1] === 'string', { what: 'AUTH challenge' });
  return f.msg[1] as string;
}

async function authenticate(c: RawClient, event: NostrEvent): Promise<readonly unknown[]> {
  const from = c.mark();
  await c.sendJson(['AUTH', event]);
  return (await c.waitFor((m) => m[0] === 'OK' && m[1] === event.id, { from, what: 'OK for AUTH' })).msg;
}

function authFor(keys: Keys, relayUrl: string | undefined, challenge: string): NostrEvent {
  const template = makeAuthEvent(relayUrl ?? 'ws://unused', challenge);
  if (relayUrl === undefined) template.tags = template.tags.filter((t) => t[0] !== 'relay');
  return finalizeEvent(template, keys.sk);
}

/**
 * Trust (issue 10, defects 7 and 8): what a client signs binds it to this relay, and what the
 * relay stores is what it checked. A NIP-42 AUTH signed for another relay's URL (a malicious
 * relay passing our challenge to its user) or without a relay tag is refused, so the DMs it
 * would unlock stay private; the honest AUTH, naming the URL the client connected to, works
 * (through HAProxy too). An EVENT that names a field twice is refused `invalid:`.
 */
export function trustTests(start: StartRelay): void {
  describe('trust: AUTH replay and duplicate event keys (defects 7, 8)', () => {
    const ctx = relayForBlock(start);

    it(
      'an AUTH signed for another relay, or with no relay tag, is refused and unlocks no DM',
      TEST,
      async () => {
        const relay = ctx.relay;
        const victim = newKeys();
        const sender = newKeys();
        const writer = await RawClient.open(relay.url);
        const dm = signEvent(sender, { kind: 4, content: 'secret', tags: [['p', victim.pk]] });
        const stored = await writer.publish(dm);
        assert.equal(stored.ok, true, stored.message);
        writer.close();

        const attacker = await RawClient.open(relay.url);
        try {
          const challenge = await challengeOf(attacker);
          const replayed = await authenticate(attacker, authFor(victim, MALICIOUS_RELAY, challenge));
          assert.equal(replayed[2], false, `replayed AUTH accepted: ${JSON.stringify(replayed)}`);
          assertPrefix(replayed[3], 'invalid:', 'replayed AUTH');
          const untagged = await authenticate(attacker, authFor(victim, undefined, challenge));
          assert.equal(untagged[2], false, `AUTH without a relay tag accepted: ${JSON.stringify(untagged)}`);
          assertPrefix(untagged[3], 'invalid:', 'AUTH without a relay tag');
          const read = await attacker.query([{ kinds: [4], '#p': [victim.pk] }]);
          assert.ok(!read.events.some((e) => e.id === dm.id), 'the replayed AUTH read the victim DM');
        } finally {
          attacker.close();
        }

        const owner = await RawClient.open(relay.url);
        try {
          const honest = await authenticate(owner, authFor(victim, relay.url, await challengeOf(owner)));
          assert.equal(honest[2], true, `honest AUTH refused: ${JSON.stringify(honest)}`);
          const read = await owner.query([{ kinds: [4], '#p': [victim.pk] }]);
          assert.deepEqual(
            read.events.map((e) => e.id),
            [dm.id],
          );
        } finally {
          owner.close();
        }
      },
    );

    it('an EVENT naming content twice is refused invalid: and never served', TEST, async () => {
      const c = await RawClient.open(ctx.relay.url);
      try {
        const event = signEvent(newKeys(), { content: 'the signed text' });
        const text = JSON.stringify(event).replace('"content":', '"content":"EVIL","content":');
        const ok = await c.publish(text);
        assert.equal(ok.ok, false, `duplicate-key EVENT accepted: ${ok.raw}`);
        assertPrefix(ok.message, 'invalid:', 'duplicate-key EVENT');
        const read = await c.query([{ ids: [event.id] }]);
        assert.equal(read.texts.length, 0, `served: ${read.texts.join('\n')}`);
      } finally {
        c.close();
      }
    });
  });
}
