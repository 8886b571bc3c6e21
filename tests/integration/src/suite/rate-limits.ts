import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawClient } from '@nrelay/testkit';
import { newKeys, randomWord, signEvent } from '@nrelay/testkit';
import { WebSocket } from 'ws';
import type { StartRelay } from '../harness/types.js';
import { assertAccepted, assertPrefix, assertRefused, relayForBlock, T, withClient } from './context.js';
import { fetchNip11 } from './nip11.js';

/** Sends every event first, then collects the OKs (so the bucket sees them back to back). */
async function publishBurst(c: RawClient, events: readonly { id: string }[]): Promise<unknown[][]> {
  const from = c.mark();
  for (const e of events) await c.send(JSON.stringify(['EVENT', e]));
  const answers: unknown[][] = [];
  for (const e of events) {
    const f = await c.waitFor((m) => m[0] === 'OK' && m[1] === e.id, { from, what: `OK for ${e.id}` });
    answers.push([...(f.msg ?? [])]);
  }
  return answers;
}

/** The HTTP status and body a WebSocket upgrade is answered with (101 when it opens). */
function upgradeAnswer(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error(`no answer to the upgrade at ${url}`)), 5000);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.on('open', () => {
      clearTimeout(timer);
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('error', () => undefined);
  });
}

/**
 * The rate limits end to end, each on a relay of its own with small limits (rates of 1 per
 * second: the bursts below are sent within milliseconds, so at most one token comes back).
 */
export function rateLimitTests(start: StartRelay): void {
  describe('rate limits: EVENTs per IP', () => {
    const ctx = relayForBlock(start, { env: { RATE_EVENTS_PER_IP: '1', BURST_EVENTS_PER_IP: '5' } });
    it(
      'the burst is accepted, the next EVENTs get OK false rate-limited:, the connection stays usable',
      T,
      () =>
        withClient(ctx.relay.url, async (c) => {
          // Different authors: the per-IP bucket counts them all.
          const events = Array.from({ length: 8 }, () => signEvent(newKeys(), { content: randomWord() }));
          const answers = await publishBurst(c, events);
          const accepted = answers.filter((m) => m[2] === true).length;
          assert.ok(
            accepted === 5 || accepted === 6,
            `accepted ${accepted} of 8: ${JSON.stringify(answers)}`,
          );
          for (const m of answers.filter((a) => a[2] === false)) assertPrefix(m[3], 'rate-limited:', 'EVENT');
          const r = await c.query([{ ids: [events[0]!.id] }]);
          assert.equal(r.end, 'EOSE');
          assert.equal(r.events.length, 1, 'an accepted event was stored');
        }),
    );
    it('NIP-11 advertises the limit in nrelay_rate_limits', T, async () => {
      const { doc } = await fetchNip11(ctx.relay);
      assert.deepEqual((doc as { nrelay_rate_limits?: unknown }).nrelay_rate_limits, {
        events_per_ip: { rate: 1, burst: 5 },
        // On by default (issue 10): REQs and COUNTs per connection.
        reqs_per_connection: { rate: 1000, burst: 2000 },
      });
    });
  });

  describe('rate limits: EVENTs per pubkey and REQs per connection', () => {
    const ctx = relayForBlock(start, {
      env: {
        RATE_EVENTS_PER_PUBKEY: '1',
        BURST_EVENTS_PER_PUBKEY: '3',
        RATE_REQS_PER_CONNECTION: '1',
        BURST_REQS_PER_CONNECTION: '4',
      },
    });
    it("one author's burst is accepted, then rate-limited:; other authors are not affected", T, () =>
      withClient(ctx.relay.url, async (c) => {
        const keys = newKeys();
        const answers = await publishBurst(
          c,
          Array.from({ length: 6 }, () => signEvent(keys, { content: randomWord() })),
        );
        const accepted = answers.filter((m) => m[2] === true).length;
        assert.ok(accepted === 3 || accepted === 4, `accepted ${accepted} of 6: ${JSON.stringify(answers)}`);
        for (const m of answers.filter((a) => a[2] === false)) {
          assertPrefix(m[3], 'rate-limited:', 'EVENT');
          assert.match(String(m[3]), /pubkey/);
        }
        assertAccepted(await c.publish(signEvent(newKeys(), { content: 'another author' })), 'other author');
      }),
    );
    it('a REQ/COUNT flood gets CLOSED rate-limited:; a new connection has its own budget', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        const from = c.mark();
        const subs = Array.from({ length: 7 }, (_, i) => `flood-${i}`);
        for (const [i, sub] of subs.entries()) {
          const verb = i % 2 === 0 ? 'REQ' : 'COUNT';
          await c.send(JSON.stringify([verb, sub, { ids: ['e'.repeat(64)] }]));
        }
        const ends: unknown[][] = [];
        for (const sub of subs) {
          const f = await c.waitFor(
            (m) => m[1] === sub && (m[0] === 'EOSE' || m[0] === 'CLOSED' || m[0] === 'COUNT'),
            { from, what: `answer to ${sub}` },
          );
          ends.push([...(f.msg ?? [])]);
        }
        const closed = ends.filter((m) => m[0] === 'CLOSED');
        assert.ok(
          closed.length === 3 || closed.length === 2,
          `CLOSED ${closed.length} of 7: ${JSON.stringify(ends)}`,
        );
        for (const m of closed) assertPrefix(m[2], 'rate-limited:', 'REQ');
        assert.equal(c.closed, undefined, 'the connection stays open');
      });
      await withClient(ctx.relay.url, async (c) => {
        assert.equal((await c.query([{ limit: 1 }])).end, 'EOSE');
      });
    });
  });

  describe('rate limits: new connections per IP', () => {
    const ctx = relayForBlock(start, {
      env: { RATE_CONNECTIONS_PER_IP: '1', BURST_CONNECTIONS_PER_IP: '3' },
    });
    it('a connection flood is refused with HTTP 429 rate-limited:', T, async () => {
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await upgradeAnswer(ctx.relay.url));
      const opened = answers.filter((a) => a.status === 101).length;
      assert.ok(opened === 3 || opened === 4, `opened ${opened} of 6: ${JSON.stringify(answers)}`);
      for (const a of answers.filter((x) => x.status !== 101)) {
        assert.equal(a.status, 429);
        assertPrefix(a.body, 'rate-limited:', 'upgrade body');
      }
    });
  });
}

/** PLUGINS end to end: the example plugins, and a clear failure for a broken one. */
export function pluginTests(start: StartRelay): void {
  describe('plugins', () => {
    const ctx = relayForBlock(start, {
      env: { PLUGINS: 'examples/plugins/no-links.mjs,examples/plugins/log-connections.mjs' },
    });
    it('no-links refuses a kind-1 note with a link and accepts one without', T, () =>
      withClient(ctx.relay.url, async (c) => {
        const keys = newKeys();
        assertRefused(
          await c.publish(signEvent(keys, { content: 'see https://example.com/x' })),
          'note with a link',
          'blocked:',
        );
        assertAccepted(await c.publish(signEvent(keys, { content: 'no link here' })), 'plain note');
        assertAccepted(
          await c.publish(
            signEvent(keys, { kind: 30023, content: 'https://example.com', tags: [['d', 'a']] }),
          ),
          'long-form with a link (other kind)',
        );
      }),
    );
    it('log-connections logs each connection', T, async () => {
      await withClient(ctx.relay.url, async (c) => {
        await c.query([{ limit: 1 }]);
      });
      const deadline = Date.now() + 5000;
      while (!ctx.relay.logs().includes('client disconnected') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(ctx.relay.logs(), /client connected/);
      assert.match(ctx.relay.logs(), /client disconnected/);
    });
  });

  describe('plugins: a module that cannot be loaded', () => {
    it('stops the start with an error naming the plugin', T, async () => {
      await assert.rejects(
        start({ env: { PLUGINS: './examples/plugins/does-not-exist.mjs' } }),
        (err: Error) => {
          assert.match(err.message, /exited before listening/);
          assert.match(
            err.message,
            /plugin \\?"\.\/examples\/plugins\/does-not-exist\.mjs\\?": cannot be imported/,
          );
          return true;
        },
      );
    });
  });
}
