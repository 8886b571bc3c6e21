import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, RawClient, signEvent } from '@nrelay/testkit';
import {
  assertMachinePrefix,
  assertPrefix,
  assertRefused,
  assertUsable,
  type SuiteContext,
  T,
  withClient,
} from './context.js';
import { DEFAULT_LIMITATION } from './nip11.js';

/** Sends a REQ frame and expects CLOSED (or, with `allowNotice`, a NOTICE) starting with `prefix`. */
async function expectReqRefused(
  c: RawClient,
  frame: string,
  subId: string,
  opts: { allowNotice: boolean; prefix?: string },
  what: string,
): Promise<void> {
  const from = c.mark();
  await c.send(frame);
  const f = await c.waitFor(
    (m) =>
      (m[0] === 'CLOSED' && m[1] === subId) ||
      (opts.allowNotice && m[0] === 'NOTICE') ||
      (m[0] === 'EOSE' && m[1] === subId),
    { from, what: `CLOSED for ${what}` },
  );
  assert.notEqual(f.msg[0], 'EOSE', `${what} was served: ${f.raw}`);
  const message = f.msg[0] === 'CLOSED' ? f.msg[2] : f.msg[1];
  if (opts.prefix === undefined) assertMachinePrefix(message, what);
  else assertPrefix(message, opts.prefix, what);
  await assertUsable(c);
}

/** REQ validation and the default subscription, filter and frame-size limits. */
export function requestLimitTests(ctx: SuiteContext): void {
  const inClient = (fn: (c: RawClient) => Promise<void>) => () => withClient(ctx.relay.url, fn);

  describe('bad input: subscriptions', () => {
    it(
      'an empty or 65-char sub id is refused with invalid:',
      T,
      inClient(async (c) => {
        await expectReqRefused(
          c,
          '["REQ","",{}]',
          '',
          { allowNotice: true, prefix: 'invalid:' },
          'empty sub id',
        );
        const long = 's'.repeat(65);
        await expectReqRefused(
          c,
          `["REQ","${long}",{}]`,
          long,
          { allowNotice: true, prefix: 'invalid:' },
          '65-char sub id',
        );
        const max = 's'.repeat(64);
        assert.equal(
          (await c.query([{ limit: 1 }], { subId: max })).end,
          'EOSE',
          '64-char sub id must be served',
        );
      }),
    );
    for (const [label, filter] of [
      ['an unknown field', '{"foo":1}'],
      ['a multi-letter tag filter', '{"#ab":["x"]}'],
      ['non-array ids', '{"ids":"abc"}'],
      ['a non-integer limit', '{"limit":"ten"}'],
    ] as const) {
      it(
        `a filter with ${label} gets CLOSED invalid:`,
        T,
        inClient(async (c) => {
          await expectReqRefused(
            c,
            `["REQ","bad",${filter}]`,
            'bad',
            { allowNotice: false, prefix: 'invalid:' },
            label,
          );
        }),
      );
    }
    it(
      'more filters than MAX_FILTERS gets CLOSED',
      T,
      inClient(async (c) => {
        const n = DEFAULT_LIMITATION.max_filters;
        const filters = (count: number) =>
          Array.from({ length: count }, (_, i) => ({ kinds: [i], limit: 1 }));
        assert.equal((await c.query(filters(n))).end, 'EOSE', `${n} filters must be served`);
        await expectReqRefused(
          c,
          JSON.stringify(['REQ', 'many', ...filters(n + 1)]),
          'many',
          { allowNotice: false },
          `${n + 1} filters`,
        );
      }),
    );
    it(
      'more subscriptions than MAX_SUBSCRIPTIONS gets CLOSED; closing one frees a slot',
      T,
      inClient(async (c) => {
        const n = DEFAULT_LIMITATION.max_subscriptions;
        for (let i = 0; i < n; i++) {
          const r = await c.query([{ ids: ['0'.repeat(64)] }], { subId: `open-${i}`, keepOpen: true });
          assert.equal(r.end, 'EOSE', `subscription ${i + 1} of ${n} refused: ${r.reason}`);
        }
        const over = await c.query([{ ids: ['0'.repeat(64)] }], { subId: 'one-too-many', keepOpen: true });
        assert.equal(over.end, 'CLOSED', `subscription ${n + 1} was served`);
        assertMachinePrefix(over.reason, 'CLOSED for too many subscriptions');
        await c.sendJson(['CLOSE', 'open-0']);
        const again = await c.query([{ ids: ['0'.repeat(64)] }], { subId: 'after-close', keepOpen: true });
        assert.equal(again.end, 'EOSE', `after CLOSE a slot must be free: ${again.reason}`);
      }),
    );
  });

  describe('bad input: frame sizes', () => {
    it(
      'a message over MAX_MESSAGE_BYTES gets OK false or NOTICE and the connection stays',
      T,
      inClient(async (c) => {
        const e = signEvent(newKeys(), { content: 'b'.repeat(DEFAULT_LIMITATION.max_message_length + 1000) });
        const from = c.mark();
        await c.sendJson(['EVENT', e]);
        const f = await c.waitFor((m) => (m[0] === 'OK' && m[1] === e.id) || m[0] === 'NOTICE', {
          from,
          what: 'OK false or NOTICE for an oversized message',
        });
        if (f.msg[0] === 'OK')
          assertRefused({ ok: f.msg[2] as boolean, message: String(f.msg[3]), raw: f.raw }, 'oversized');
        await assertUsable(c);
      }),
    );
    it('a frame over MAX_FRAME_BYTES closes the connection with 1009; new connections work', T, async () => {
      const c = await RawClient.open(ctx.relay.url);
      try {
        const huge = `["EVENT",{"content":"${'c'.repeat(5 * 1024 * 1024)}"}]`;
        await c.send(huge).catch(() => {}); // the relay may cut the socket mid-write
        const closed = await c.waitClose(10_000);
        assert.equal(closed.code, 1009, `close code ${closed.code} "${closed.reason}"`);
      } finally {
        c.close();
      }
      await withClient(ctx.relay.url, assertUsable);
    });
  });
}
