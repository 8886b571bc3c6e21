import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawClient } from '@nrelay/testkit';
import { newKeys } from '@nrelay/testkit';
import { makeAuthEvent } from 'nostr-tools/nip42';
import { finalizeEvent } from 'nostr-tools/pure';
import { type SuiteContext, T, withClient } from './context.js';

/** The relay's AUTH challenge, if it sends one on connect or after a first REQ. */
async function challengeOf(c: RawClient): Promise<string | undefined> {
  const isAuth = (m: readonly unknown[]) => m[0] === 'AUTH' && typeof m[1] === 'string';
  const early = await c.waitFor(isAuth, { timeoutMs: 1500, what: 'AUTH challenge' }).catch(() => undefined);
  if (early) return early.msg[1] as string;
  await c.barrier();
  return c.frames.find((f) => f.msg !== undefined && isAuth(f.msg))?.msg?.[1] as string | undefined;
}

/** Sends `["AUTH", event]` and resolves with the OK for it. */
async function sendAuth(c: RawClient, url: string, challenge: string): Promise<readonly unknown[]> {
  const event = finalizeEvent(makeAuthEvent(url, challenge), newKeys().sk);
  const from = c.mark();
  await c.sendJson(['AUTH', event]);
  const f = await c.waitFor((m) => m[0] === 'OK' && m[1] === event.id, {
    from,
    what: `OK for AUTH ${event.id}`,
  });
  return f.msg;
}

/** NIP-42 basics: a challenge (on connect or on need), a correct answer accepted, a wrong one not. */
export function authTests(ctx: SuiteContext): void {
  describe('NIP-42 authentication', () => {
    it('a correctly signed kind-22242 answer to the challenge gets OK true', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        const challenge = await challengeOf(c);
        if (challenge === undefined) {
          // No challenge issued: any AUTH must be refused, as there is nothing to answer.
          const ok = await sendAuth(c, ctx.relay.url, 'never-issued');
          assert.equal(ok[2], false, `AUTH without a challenge accepted: ${JSON.stringify(ok)}`);
          return;
        }
        assert.ok(
          challenge.length >= 16,
          `challenge too short to be unguessable: ${JSON.stringify(challenge)}`,
        );
        const ok = await sendAuth(c, ctx.relay.url, challenge);
        assert.equal(ok[2], true, `AUTH refused: ${JSON.stringify(ok)}`);
      });
    });

    it('an answer with the wrong challenge gets OK false', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        const challenge = (await challengeOf(c)) ?? 'never-issued';
        const ok = await sendAuth(c, ctx.relay.url, `${challenge}-wrong`);
        assert.equal(ok[2], false, `AUTH with a wrong challenge accepted: ${JSON.stringify(ok)}`);
        assert.ok(
          typeof ok[3] === 'string' && /^[a-z-]+:/.test(ok[3]),
          `no prefixed reason: ${JSON.stringify(ok)}`,
        );
      });
    });

    it('each connection gets its own challenge', T, async () => {
      const a = await withClient(ctx.relay.url, challengeOf);
      const b = await withClient(ctx.relay.url, challengeOf);
      if (a === undefined || b === undefined) {
        assert.equal(a, b, 'a challenge was sent on one connection but not on the other');
        return;
      }
      assert.notEqual(a, b, 'two connections got the same challenge');
    });

    it(
      'the challenge is the first frame after connect (AUTH_CHALLENGE=on-connect, the default)',
      T,
      async () => {
        await withClient(ctx.relay.url, async (c) => {
          // Nothing sent: a client with an auth callback can answer before its first REQ.
          const first = await c.waitFor(() => true, { timeoutMs: 3000, what: 'a frame after connect' });
          assert.equal(first.msg[0], 'AUTH', `first frame: ${first.raw}`);
          assert.equal(typeof first.msg[1], 'string');
        });
      },
    );
  });
}
