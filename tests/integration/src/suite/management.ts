import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Keys, newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import { getToken } from 'nostr-tools/nip98';
import { finalizeEvent, type NostrEvent } from 'nostr-tools/pure';
import type { RelayUnderTest, StartRelay } from '../harness/types.js';
import { waitUntil } from '../harness/wait.js';
import { assertAccepted, assertPrefix, idSet, publishAll, relayForBlock, T, withClient } from './context.js';
import { fetchNip11 } from './nip11.js';

/** A NIP-86 answer: the HTTP status and the JSON body. */
export interface RpcAnswer {
  status: number;
  body: { result?: unknown; error?: string };
}

/**
 * Calls a NIP-86 method on `httpUrl` the way a client does: POST with the NIP-86 content type
 * and a NIP-98 authorization from nostr-tools' `getToken` (payload tag included). `auth: false`
 * sends none; `signUrl` signs another URL than the one posted to.
 */
export async function nip86(
  httpUrl: string,
  keys: Keys | undefined,
  method: string,
  params: unknown[] = [],
  opts: { signUrl?: string } = {},
): Promise<RpcAnswer> {
  const payload = { method, params };
  const headers: Record<string, string> = { 'Content-Type': 'application/nostr+json+rpc' };
  if (keys !== undefined) {
    headers.Authorization = await getToken(
      opts.signUrl ?? httpUrl,
      'POST',
      (e) => finalizeEvent(e, keys.sk),
      true,
      payload,
    );
  }
  const res = await fetch(httpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: RpcAnswer['body'];
  try {
    body = JSON.parse(text) as RpcAnswer['body'];
  } catch {
    assert.fail(`NIP-86 ${method}: HTTP ${res.status}, body is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body };
}

/** Calls a method as an admin and fails unless it answers 200 with `result`. */
export async function adminCall(
  relay: RelayUnderTest,
  admin: Keys,
  method: string,
  params: unknown[] = [],
): Promise<unknown> {
  const answer = await nip86(relay.httpUrl, admin, method, params);
  assert.equal(answer.status, 200, `${method}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error, undefined, `${method}: ${JSON.stringify(answer.body)}`);
  return answer.body.result;
}

async function ids(url: string, filter: object): Promise<string[]> {
  return withClient(url, async (c) => {
    const r = await c.query([filter]);
    assert.equal(r.end, 'EOSE', `REQ was CLOSED: ${r.reason}`);
    return idSet(r.events);
  });
}

async function count(url: string, filter: object): Promise<number> {
  return withClient(url, async (c) => {
    await c.sendJson(['COUNT', 'cnt', filter]);
    const f = await c.waitFor((m) => (m[0] === 'COUNT' || m[0] === 'CLOSED') && m[1] === 'cnt', {
      what: 'COUNT reply',
    });
    assert.equal(f.msg[0], 'COUNT', f.raw);
    return (f.msg[2] as { count: number }).count;
  });
}

async function publish(url: string, event: NostrEvent) {
  return withClient(url, (c) => c.publish(event));
}

/**
 * NIP-86 management end to end, on a relay whose ADMIN_PUBKEYS is one fresh key: the admin's
 * changes take effect on every read and write path, others are refused. `readUrls` are the
 * WebSocket URLs reads are checked on (e.g. each gateway of a cluster; default: the relay's).
 */
export function managementTests(
  start: StartRelay,
  opts: { readUrls?: (relay: RelayUnderTest) => string[] } = {},
): void {
  const admin = newKeys();
  describe('NIP-86 management (ADMIN_PUBKEYS set)', () => {
    const ctx = relayForBlock(start, { env: { ADMIN_PUBKEYS: admin.pk } });
    const readUrls = () => opts.readUrls?.(ctx.relay) ?? [ctx.relay.url];
    /** Waits (up to 1 s, the propagation promise) until `check` holds on every read URL. */
    async function everywhere(what: string, check: (url: string) => Promise<boolean>): Promise<void> {
      for (const url of readUrls()) {
        await waitUntil(async () => ((await check(url)) ? true : undefined), {
          timeoutMs: 1_000,
          intervalMs: 50,
          what: `${what} on ${url}`,
        });
      }
    }

    it('advertises NIP-86 and answers supportedmethods to the admin', T, async () => {
      const { doc } = await fetchNip11(ctx.relay);
      assert.ok((doc.supported_nips as number[]).includes(86), JSON.stringify(doc.supported_nips));
      const methods = (await adminCall(ctx.relay, admin, 'supportedmethods')) as string[];
      for (const m of ['banpubkey', 'listbannedpubkeys', 'allowpubkey', 'banevent', 'allowkind', 'blockip']) {
        assert.ok(methods.includes(m), `supportedmethods lacks ${m}: ${JSON.stringify(methods)}`);
      }
    });

    it('refuses a missing or bad NIP-98 authorization (401) and a non-admin (403)', T, async () => {
      const target = newKeys().pk;
      const none = await nip86(ctx.relay.httpUrl, undefined, 'banpubkey', [target]);
      assert.equal(none.status, 401, JSON.stringify(none.body));
      assertPrefix(none.body.error, 'unauthorized:', 'no authorization');
      const wrongUrl = await nip86(ctx.relay.httpUrl, admin, 'banpubkey', [target], {
        signUrl: 'http://elsewhere.example/',
      });
      assert.equal(wrongUrl.status, 401, JSON.stringify(wrongUrl.body));
      const stranger = await nip86(ctx.relay.httpUrl, newKeys(), 'banpubkey', [target]);
      assert.equal(stranger.status, 403, JSON.stringify(stranger.body));
      assertPrefix(stranger.body.error, 'forbidden:', 'non-admin');
      assert.deepEqual(await adminCall(ctx.relay, admin, 'listbannedpubkeys'), []);
    });

    it(
      'banpubkey hides stored events from REQ and COUNT and refuses new ones; unban restores',
      T,
      async () => {
        const spammer = newKeys();
        const bystander = newKeys();
        const tag = randomWord();
        const spam = [
          signEvent(spammer, { tags: [['t', tag]] }),
          signEvent(spammer, { kind: 0, content: '{}' }),
        ];
        const fine = signEvent(bystander, { tags: [['t', tag]] });
        await withClient(ctx.relay.url, (c) => publishAll(c, [...spam, fine]));
        assert.equal(await adminCall(ctx.relay, admin, 'banpubkey', [spammer.pk, 'spam']), true);
        await everywhere('the ban', async (url) => (await ids(url, { authors: [spammer.pk] })).length === 0);
        for (const url of readUrls()) {
          assert.deepEqual(await ids(url, { ids: spam.map((e) => e.id) }), [], 'ids lookup');
          assert.deepEqual(await ids(url, { '#t': [tag] }), [fine.id], 'tag query');
          assert.equal(await count(url, { authors: [spammer.pk] }), 0, 'COUNT');
          const again = await publish(url, signEvent(spammer));
          assert.equal(again.ok, false, again.raw);
          assertPrefix(again.message, 'blocked:', 'new event of a banned pubkey');
        }
        assert.deepEqual(await adminCall(ctx.relay, admin, 'listbannedpubkeys'), [
          { pubkey: spammer.pk, reason: 'spam' },
        ]);

        assert.equal(await adminCall(ctx.relay, admin, 'unbanpubkey', [spammer.pk]), true);
        await everywhere(
          'the unban',
          async (url) => (await ids(url, { authors: [spammer.pk] })).length === 2,
        );
        assert.deepEqual(await ids(ctx.relay.url, { '#t': [tag] }), [fine.id, spam[0]!.id].sort());
        assertAccepted(await publish(ctx.relay.url, signEvent(spammer)), 'after the unban');
      },
    );

    it('banevent hides one event and refuses it when sent again', T, async () => {
      const author = newKeys();
      const [bad, good] = [signEvent(author), signEvent(author)];
      await withClient(ctx.relay.url, (c) => publishAll(c, [bad, good]));
      assert.equal(await adminCall(ctx.relay, admin, 'banevent', [bad.id, 'illegal']), true);
      await everywhere('the event ban', async (url) => {
        const seen = await ids(url, { authors: [author.pk] });
        return seen.length === 1 && seen[0] === good.id;
      });
      for (const url of readUrls()) {
        const again = await publish(url, bad);
        assert.equal(again.ok, false, again.raw);
        assertPrefix(again.message, 'blocked:', 'a banned event sent again');
      }
      const banned = (await adminCall(ctx.relay, admin, 'listbannedevents')) as Array<{ id: string }>;
      assert.ok(banned.some((b) => b.id === bad.id));
    });

    it('setpubkeylevel read makes a pubkey read-only on every gateway; write lifts it', T, async () => {
      const reader = newKeys();
      assert.equal(await adminCall(ctx.relay, admin, 'setpubkeylevel', [reader.pk, 'read']), true);
      await everywhere('the read-only level', async (url) => {
        const reply = await publish(url, signEvent(reader));
        return !reply.ok && reply.message.startsWith('restricted:');
      });
      assert.equal(await adminCall(ctx.relay, admin, 'setpubkeylevel', [reader.pk, 'write']), true);
      await everywhere('the write level', async (url) => (await publish(url, signEvent(reader))).ok);
    });

    it('allowkind restricts the accepted kinds until the rules are lifted', T, async () => {
      const author = newKeys();
      try {
        assert.equal(await adminCall(ctx.relay, admin, 'allowkind', [1]), true);
        assert.deepEqual(await adminCall(ctx.relay, admin, 'listallowedkinds'), [1]);
        await everywhere('the kind allowlist', async (url) => {
          const reply = await publish(url, signEvent(author, { kind: 7, content: '+' }));
          return !reply.ok && reply.message.startsWith('blocked:');
        });
        assertAccepted(await publish(ctx.relay.url, signEvent(author, { kind: 1 })), 'an allowed kind');
      } finally {
        // disallowkind then allowkind of the only listed kind: back to "every kind".
        await adminCall(ctx.relay, admin, 'disallowkind', [1]);
        await adminCall(ctx.relay, admin, 'allowkind', [1]);
      }
      assert.deepEqual(await adminCall(ctx.relay, admin, 'listallowedkinds'), []);
      await everywhere(
        'every kind again',
        async (url) => (await publish(url, signEvent(author, { kind: 7 }))).ok,
      );
    });

    it('blockip refuses new connections from that address until unblockip', T, async () => {
      try {
        assert.equal(await adminCall(ctx.relay, admin, 'blockip', ['127.0.0.1', 'test']), true);
        await everywhere('the IP block', async (url) => {
          try {
            (await RawClient.open(url, 2_000)).close();
            return false;
          } catch (err) {
            return /403/.test(String(err));
          }
        });
        const blocked = (await adminCall(ctx.relay, admin, 'listblockedips')) as Array<{ ip: string }>;
        assert.deepEqual(blocked, [{ ip: '127.0.0.1', reason: 'test' }]);
      } finally {
        await adminCall(ctx.relay, admin, 'unblockip', ['127.0.0.1']);
      }
      await everywhere('the unblock', async (url) => {
        try {
          (await RawClient.open(url, 2_000)).close();
          return true;
        } catch {
          return false;
        }
      });
    });

    it('changerelayname / description / icon show in NIP-11 within a second', T, async () => {
      const name = `relay ${randomWord()}`;
      await adminCall(ctx.relay, admin, 'changerelayname', [name]);
      await adminCall(ctx.relay, admin, 'changerelaydescription', ['managed over NIP-86']);
      await adminCall(ctx.relay, admin, 'changerelayicon', ['https://example.com/icon.png']);
      const expected = [name, 'managed over NIP-86', 'https://example.com/icon.png'];
      // Behind a load balancer the calls and this read may reach different gateways: the
      // answering gateway applies a change at once, the others within a second.
      await waitUntil(
        async () => {
          const { doc } = await fetchNip11(ctx.relay);
          const info = doc as { name?: string; description?: string; icon?: string };
          return JSON.stringify([info.name, info.description, info.icon]) === JSON.stringify(expected)
            ? true
            : undefined;
        },
        { timeoutMs: 1_000, intervalMs: 50, what: 'the new relay information through the relay URL' },
      );
      await everywhere('the new relay information', async (url) => {
        const res = await fetch(url.replace(/^ws/, 'http'), {
          headers: { Accept: 'application/nostr+json' },
        });
        const other = (await res.json()) as { name?: string; description?: string; icon?: string };
        return JSON.stringify([other.name, other.description, other.icon]) === JSON.stringify(expected);
      });
    });
  });
}
