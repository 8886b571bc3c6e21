import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, RawClient, signEvent } from '@nrelay/testkit';
import type { StartRelay } from '../harness/types.js';
import { waitUntil } from '../harness/wait.js';
import { authenticate, countOf, openAs, upgradeStatus } from './access-helpers.js';
import {
  assertAccepted,
  assertPrefix,
  assertRefused,
  relayForBlock,
  type SuiteContext,
  T,
} from './context.js';

/** Whether the relay sends its AUTH challenge right after connecting. */
async function challengedOnConnect(url: string): Promise<boolean> {
  const c = await RawClient.open(url);
  try {
    const f = await c
      .waitFor((m) => m[0] === 'AUTH', { timeoutMs: 1000, what: 'AUTH on connect' })
      .catch(() => undefined);
    return f !== undefined;
  } finally {
    c.close();
  }
}

/** REQ outcome: 'EOSE' or the CLOSED reason. */
async function reqOutcome(c: RawClient, filters: unknown[]): Promise<string> {
  const r = await c.query(filters);
  return r.end === 'EOSE' ? 'EOSE' : r.reason;
}

/** The auth-* modes: what an anonymous connection may do, and that AUTH unlocks the rest. */
function authModeTests(mode: 'auth-read' | 'auth-write' | 'auth-all', start: StartRelay): void {
  describe(`ACCESS_MODE=${mode}`, () => {
    const ctx: SuiteContext = relayForBlock(start, { env: { ACCESS_MODE: mode } });
    const readNeedsAuth = mode !== 'auth-write';
    const writeNeedsAuth = mode !== 'auth-read';

    it('challenge on connect; anonymous reads and writes answered as the mode says', T, async () => {
      assert.equal(await challengedOnConnect(ctx.relay.url), true);
      const keys = newKeys();
      const c = await openAs(ctx.relay.url);
      try {
        const filters = [{ authors: [keys.pk] }];
        const read = await reqOutcome(c, filters);
        const count = await countOf(c, filters);
        if (readNeedsAuth) {
          assertPrefix(read, 'auth-required:', 'anonymous REQ');
          assertPrefix(count, 'auth-required:', 'anonymous COUNT');
        } else {
          assert.equal(read, 'EOSE');
          assert.equal(count, 0);
        }
        const reply = await c.publish(signEvent(keys));
        if (writeNeedsAuth) assertRefused(reply, 'anonymous EVENT', 'auth-required:');
        else assertAccepted(reply, 'anonymous EVENT');
        assert.equal(c.closed, undefined, 'refusals keep the connection open');
      } finally {
        c.close();
      }
    });

    it('NIP-11 limitation says so (auth_required, restricted_writes)', T, async () => {
      const res = await fetch(`${ctx.relay.httpUrl}/`, { headers: { Accept: 'application/nostr+json' } });
      const doc = (await res.json()) as { limitation?: Record<string, unknown> };
      assert.equal(doc.limitation?.auth_required, readNeedsAuth);
      assert.equal(doc.limitation?.restricted_writes, writeNeedsAuth);
    });

    it('after AUTH (as any pubkey) reading and writing work', T, async () => {
      const keys = newKeys();
      const c = await openAs(ctx.relay.url, newKeys());
      try {
        assertAccepted(await c.publish(signEvent(keys)), 'authenticated EVENT of another author');
        const r = await c.query([{ authors: [keys.pk] }]);
        assert.equal(r.end, 'EOSE', r.reason);
        assert.equal(r.events.length, 1);
      } finally {
        c.close();
      }
    });
  });
}

/** allowlist / follows with one admin and an empty access state: only the admin is allowed. */
function restrictedModeTests(mode: 'allowlist' | 'follows', start: StartRelay): void {
  describe(`ACCESS_MODE=${mode}`, () => {
    const admin = newKeys();
    const ctx = relayForBlock(start, { env: { ACCESS_MODE: mode, ADMIN_PUBKEYS: admin.pk } });

    it("writes follow the event's author, whoever delivers it", T, async () => {
      const c = await openAs(ctx.relay.url);
      try {
        assertRefused(await c.publish(signEvent(newKeys())), 'stranger author', 'restricted:');
        assertAccepted(await c.publish(signEvent(admin)), 'admin author over an anonymous connection');
        await authenticate(c, ctx.relay.url, admin);
        assertRefused(
          await c.publish(signEvent(newKeys())),
          'stranger author, admin connection',
          'restricted:',
        );
      } finally {
        c.close();
      }
    });

    it('reads need a connection authenticated as an allowed pubkey', T, async () => {
      assert.equal(await challengedOnConnect(ctx.relay.url), true);
      const note = signEvent(admin, { content: 'for members' });
      const c = await openAs(ctx.relay.url);
      try {
        assertAccepted(await c.publish(note), 'admin note');
        const filters = [{ ids: [note.id] }];
        assertPrefix(await reqOutcome(c, filters), 'auth-required:', 'anonymous REQ');
        assertPrefix(await countOf(c, filters), 'auth-required:', 'anonymous COUNT');
        await authenticate(c, ctx.relay.url, newKeys());
        assertPrefix(await reqOutcome(c, filters), 'restricted:', 'stranger REQ');
        await authenticate(c, ctx.relay.url, admin);
        const r = await c.query(filters);
        assert.deepEqual(
          r.events.map((e) => e.id),
          [note.id],
        );
      } finally {
        c.close();
      }
    });

    if (mode === 'follows') {
      it(
        "a pubkey in an admin's kind-3 list may write and read; unfollowed again, it may not",
        T,
        async () => {
          const friend = newKeys();
          const c = await openAs(ctx.relay.url);
          try {
            assertRefused(await c.publish(signEvent(friend)), 'not followed yet', 'restricted:');
            const now = Math.floor(Date.now() / 1000);
            const follows = signEvent(admin, { kind: 3, created_at: now, tags: [['p', friend.pk]] });
            assertAccepted(await c.publish(follows), "the admin's follow list");
            const note = await waitUntil(
              async () => {
                const attempt = signEvent(friend, { content: 'hello members' });
                return (await c.publish(attempt)).ok ? attempt : undefined;
              },
              { timeoutMs: 2_000, intervalMs: 100, what: 'the followed pubkey may write' },
            );
            await authenticate(c, ctx.relay.url, friend);
            const r = await c.query([{ ids: [note.id] }]);
            assert.deepEqual(
              r.events.map((e) => e.id),
              [note.id],
            );
            const unfollow = signEvent(admin, { kind: 3, created_at: now + 1, tags: [] });
            assertAccepted(await c.publish(unfollow), 'the follow list without the friend');
            await waitUntil(async () => ((await c.publish(signEvent(friend))).ok ? undefined : true), {
              timeoutMs: 2_000,
              intervalMs: 100,
              what: 'the unfollowed pubkey is refused again',
            });
          } finally {
            c.close();
          }
        },
      );
    }
  });
}

/** NIP-70 protected events on any relay (default settings are enough). */
export function protectedEventTests(ctx: SuiteContext): void {
  describe('NIP-70 protected events', () => {
    it('accepted only from a connection authenticated as the author', T, async () => {
      const author = newKeys();
      const event = signEvent(author, { tags: [['-']], content: 'protected' });
      const c = await openAs(ctx.relay.url);
      try {
        assertRefused(await c.publish(event), 'unauthenticated', 'auth-required:');
        await authenticate(c, ctx.relay.url, newKeys());
        assertRefused(await c.publish(event), 'authenticated as someone else', 'restricted:');
        await authenticate(c, ctx.relay.url, author);
        assertAccepted(await c.publish(event), 'authenticated as the author');
        const r = await c.query([{ ids: [event.id] }]);
        assert.equal(r.events.length, 1);
      } finally {
        c.close();
      }
    });
  });
}

/**
 * Client IP lists on the WebSocket upgrade: refusals are HTTP 403. Loopback is a trusted proxy
 * by default, so the test's X-Forwarded-For header names the client; without it the client is
 * 127.0.0.1 itself, which IP_DENY lists.
 */
function ipTests(start: StartRelay): void {
  describe('IP_ALLOW=10.0.0.0/8, IP_DENY=127.0.0.1/32,10.66.0.0/16', () => {
    const ctx = relayForBlock(start, {
      env: { IP_ALLOW: '10.0.0.0/8', IP_DENY: '127.0.0.1/32,10.66.0.0/16' },
    });

    it('a connection from 127.0.0.1 is refused with HTTP 403; plain HTTP still answers', T, async () => {
      assert.equal(await upgradeStatus(ctx.relay.url), 403);
      await assert.rejects(RawClient.open(ctx.relay.url), /403/);
      assert.equal((await fetch(`${ctx.relay.httpUrl}/healthz`)).status, 200);
    });

    it('the client IP is the right-most untrusted X-Forwarded-For hop; deny wins over allow', T, async () => {
      const status = (xff: string) => upgradeStatus(ctx.relay.url, { 'X-Forwarded-For': xff });
      assert.equal(await status('10.1.2.3'), 101);
      assert.equal(await status('192.0.2.1'), 403, 'not in IP_ALLOW');
      assert.equal(await status('10.66.0.1'), 403, 'in IP_ALLOW and IP_DENY');
      assert.equal(await status('10.1.2.3, 10.66.0.7'), 403, 'right-most hop denied');
      assert.equal(await status('10.66.0.7, 10.1.2.3'), 101, 'a spoofed left hop is ignored');
      assert.equal(await status('[::ffff:10.9.9.9]:555'), 101, 'IPv4-mapped, bracketed, with port');
    });
  });
}

/** ACCESS_MODE=open (the default): for the relay that runs with default settings. */
export function openModeTests(ctx: SuiteContext): void {
  describe('ACCESS_MODE=open (default)', () => {
    it(
      'a challenge on connect (AUTH_CHALLENGE=on-connect), yet anyone reads and writes anonymously',
      T,
      async () => {
        assert.equal(await challengedOnConnect(ctx.relay.url), true);
        const keys = newKeys();
        const c = await openAs(ctx.relay.url);
        try {
          assertAccepted(await c.publish(signEvent(keys)), 'anonymous EVENT');
          assert.equal((await c.query([{ authors: [keys.pk] }])).events.length, 1);
        } finally {
          c.close();
        }
      },
    );
  });
}

/** The other access modes and the IP lists end to end; each block starts its own relay. */
export function accessModeTests(start: StartRelay): void {
  describe('access control', () => {
    for (const mode of ['auth-read', 'auth-write', 'auth-all'] as const) authModeTests(mode, start);
    restrictedModeTests('allowlist', start);
    restrictedModeTests('follows', start);
    ipTests(start);
  });
}
